"""Worker: outcomes of handler runs, resilience to database outages, clean SIGTERM stops."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from shared.db import make_engine, transaction
from shared.queue import Job, JobQueue, Outcome, QueueBase, Worker, serve
from shared.queue.jobs import RetryLater
from tests.support.postgres import PostgresCluster

SPAWN = multiprocessing.get_context("spawn")


def enqueue(queue: JobQueue, payload: dict[str, Any]) -> int:
    with transaction(queue.engine) as session:
        return queue.enqueue(session, payload)


def test_successful_handler_completes_the_job_and_reports_done(engine: Engine) -> None:
    queue, seen = JobQueue(engine, "images"), []
    job_id = enqueue(queue, {"image": 1})
    worker = Worker(
        queue, lambda job: None, on_outcome=lambda job, outcome: seen.append((job.id, outcome))
    )
    assert worker.run_once() == 1
    assert seen == [(job_id, Outcome.DONE)]
    assert worker.run_once() == 0


def test_handler_exception_is_logged_with_the_job_id_and_retried_then_buried(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue, seen = JobQueue(engine, "images", max_attempts=2), []

    def handler(job: Job) -> None:
        raise ValueError("bad pixels")

    job_id = enqueue(queue, {"image": 1})
    worker = Worker(queue, handler, on_outcome=lambda job, outcome: seen.append(outcome))
    with caplog.at_level(logging.ERROR, logger="shared.queue.worker"):
        worker.run_once()
        queue.clock = lambda: time.time() + 3600  # skip the backoff delay
        worker.run_once()
    assert seen == [Outcome.RETRY, Outcome.DEAD]
    assert f"job {job_id} " in caplog.text and "ValueError: bad pixels" in caplog.text
    assert [dead.last_error for dead in queue.dead_jobs()] == ["ValueError: bad pixels"]


class GivesUp:
    """A handler whose workers all died on its job: it must not run again, only record the failure."""

    def __init__(self, *, unavailable_times: int = 0) -> None:
        self.ran, self.gave_up, self.unavailable_times = [], [], unavailable_times

    def __call__(self, job: Job) -> None:
        self.ran.append(job.id)

    def give_up(self, job: Job, reason: str) -> None:
        if len(self.gave_up) < self.unavailable_times:
            self.gave_up.append(None)
            raise RetryLater("uploads is not reachable", delay=0)
        self.gave_up.append(reason)


def expire_every_attempt(queue: JobQueue) -> None:
    skipped = [0.0]
    queue.clock = lambda: time.time() + skipped[0]
    for _ in range(queue.max_attempts):
        assert len(queue.claim("doomed-worker")) == 1
        skipped[0] += queue.lease_seconds + 1  # the worker died: its lease runs out


def test_a_job_whose_workers_all_died_is_given_up_not_run_again(engine: Engine) -> None:
    queue, handler, seen = JobQueue(engine, "images", max_attempts=2), GivesUp(), []
    job_id = enqueue(queue, {"image": 1})
    expire_every_attempt(queue)
    assert Worker(queue, handler, on_outcome=lambda job, outcome: seen.append(outcome)).run_once() == 1
    assert handler.ran == [] and seen == [Outcome.DEAD]
    assert handler.gave_up == ["its worker stopped during its last attempt (2 of 2; lease expired)"]
    [dead] = queue.dead_jobs()
    assert (dead.id, dead.attempts, dead.last_error) == (job_id, 2, handler.gave_up[0])


def test_giving_up_waits_for_a_dependency_that_is_down(engine: Engine) -> None:
    queue, handler = JobQueue(engine, "images", max_attempts=2), GivesUp(unavailable_times=2)
    enqueue(queue, {"image": 1})
    expire_every_attempt(queue)
    worker = Worker(queue, handler)
    for _ in range(2):
        worker.run_once()
        assert queue.counts()["ready"] == 1 and queue.dead_jobs() == []  # postponed, not buried
    worker.run_once()
    assert handler.ran == [] and len(handler.gave_up) == 3 and len(queue.dead_jobs()) == 1


def test_a_handler_without_give_up_has_its_job_buried(engine: Engine) -> None:
    queue, ran = JobQueue(engine, "images", max_attempts=1), []
    enqueue(queue, {"image": 1})
    expire_every_attempt(queue)
    Worker(queue, ran.append).run_once()
    assert ran == [] and queue.counts()["dead"] == 1


def test_broken_on_outcome_callback_does_not_stop_the_work(engine: Engine) -> None:
    queue = JobQueue(engine, "images")
    for number in range(2):
        enqueue(queue, {"n": number})

    def broken(job: Job, outcome: Outcome) -> None:
        raise RuntimeError("metrics backend down")

    worker = Worker(queue, lambda job: None, on_outcome=broken, batch=2)
    assert worker.run_once() == 2
    assert queue.counts()["done"] == 2


@pytest.mark.postgres
def test_worker_keeps_polling_through_a_postgres_outage(
    postgres_cluster: PostgresCluster, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(postgres_url)
    QueueBase.metadata.create_all(engine)
    queue, handled, stop = JobQueue(engine, "images"), [], threading.Event()
    worker = Worker(queue, handled.append, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, args=(stop,))
    try:
        thread.start()
        postgres_cluster.stop(mode="immediate")  # a crash, not a polite shutdown
        time.sleep(1.0)
        postgres_cluster.start()
        enqueue(queue, {"after": "restart"})
        deadline = time.monotonic() + 20
        while not handled and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
        engine.dispose()
    assert [job.payload for job in handled] == [{"after": "restart"}]
    assert "unavailable" in caplog.text


def _serve_slow_jobs(url: str, started: Any) -> None:
    engine = make_engine(url)

    def handler(job: Job) -> None:
        started.set()
        time.sleep(1.0)  # SIGTERM arrives while this runs

    try:
        serve(JobQueue(engine, "images"), handler, threads=2, poll_interval=0.05)
    finally:
        engine.dispose()


def test_sigterm_lets_serve_finish_the_current_job_then_exit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    QueueBase.metadata.create_all(engine)
    queue = JobQueue(engine, "images")
    enqueue(queue, {"image": 1})
    started = SPAWN.Event()
    process = SPAWN.Process(target=_serve_slow_jobs, args=(url, started))
    try:
        process.start()
        assert started.wait(timeout=60)
        os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]
        process.join(timeout=30)
        assert process.exitcode == 0
        assert queue.counts() == {"ready": 0, "leased": 0, "done": 1, "dead": 0}
    finally:
        if process.is_alive():
            process.kill()
            process.join()
        engine.dispose()
