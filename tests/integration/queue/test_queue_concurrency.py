"""Several worker processes on one queue: nothing lost, nothing run twice, crashes recovered."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)

from shared.db import make_engine, transaction
from shared.queue import Job, JobQueue, Worker
from shared.queue.worker import StopSignal

JOBS, PROCESSES = 600, 4
SPAWN = multiprocessing.get_context("spawn")  # no forked copies of pooled connections

effects = MetaData()
# The handler's visible effect: one row per job key, enforced by the primary key.
results = Table("results", effects, Column("job_key", String(50), primary_key=True))
# Every handler invocation, committed before the effect, so duplicates are counted.
executions = Table(
    "executions", effects,
    Column("id", Integer, primary_key=True), Column("job_key", String(50)), Column("pid", Integer),
)


def _record_execution(engine: Engine, job: Job) -> None:
    with engine.begin() as conn:
        conn.execute(insert(executions).values(job_key=job.key, pid=os.getpid()))
    with engine.begin() as conn:
        conn.execute(insert(results).values(job_key=job.key))


def _drain(url: str, ready: Any, stop: StopSignal) -> None:
    """Worker process: wait until all are ready, then work until told to stop."""
    engine = make_engine(url)
    try:
        # A lease far longer than the test: any duplicate would be a real bug.
        queue = JobQueue(engine, "load", lease_seconds=300)
        ready.wait()
        Worker(queue, lambda job: _record_execution(engine, job), poll_interval=0.02).run(stop)
    finally:
        engine.dispose()


def _hang(url: str, started: Any) -> None:
    """Worker process whose handler never finishes: it is there to be SIGKILLed."""
    engine = make_engine(url)
    queue = JobQueue(engine, "crash", lease_seconds=1.0)

    def handler(job: Job) -> None:
        started.set()
        time.sleep(120)

    Worker(queue, handler).run_once()


def _wait_for(condition: Any, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def test_worker_processes_run_every_job_exactly_once(engine: Engine, url: str) -> None:
    effects.create_all(engine)
    queue = JobQueue(engine, "load")
    with transaction(engine) as session:
        for number in range(JOBS):
            queue.enqueue(session, {"n": number}, key=f"job-{number}")
    ready, stop = SPAWN.Barrier(PROCESSES + 1), SPAWN.Event()
    workers = [SPAWN.Process(target=_drain, args=(url, ready, stop)) for _ in range(PROCESSES)]
    for process in workers:
        process.start()
    try:
        ready.wait(timeout=60)  # every process has started up: all begin together
        _wait_for(lambda: queue.counts()["done"] == JOBS, timeout=60)
    finally:
        stop.set()
        for process in workers:
            process.join(timeout=30)
    assert [process.exitcode for process in workers] == [0] * PROCESSES
    with engine.connect() as conn:
        runs = conn.execute(select(func.count()).select_from(executions)).scalar_one()
        done = conn.execute(select(func.count()).select_from(results)).scalar_one()
        pids = conn.execute(select(func.count(executions.c.pid.distinct()))).scalar_one()
    assert (done, runs) == (JOBS, JOBS)  # 0 lost, 0 duplicate executions
    assert pids >= 2  # the work really was shared
    assert queue.counts() == {"ready": 0, "leased": 0, "done": JOBS, "dead": 0}


def test_job_of_a_sigkilled_worker_is_finished_by_another_after_the_lease(
    engine: Engine, url: str
) -> None:
    queue = JobQueue(engine, "crash", lease_seconds=1.0)
    with transaction(engine) as session:
        job_id = queue.enqueue(session, {"image": 1}, key="victim")
    started = SPAWN.Event()
    victim = SPAWN.Process(target=_hang, args=(url, started))
    victim.start()
    assert started.wait(timeout=60), "the worker never picked up the job"
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    victim.join(timeout=30)
    assert victim.exitcode == -signal.SIGKILL
    assert queue.counts()["leased"] == 1
    handled: list[Job] = []
    rescuer = Worker(queue, handled.append)
    _wait_for(lambda: rescuer.run_once() > 0, timeout=10, interval=0.1)
    assert [(job.id, job.attempts) for job in handled] == [(job_id, 2)]
    assert queue.counts() == {"ready": 0, "leased": 0, "done": 1, "dead": 0}


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Any:
    yield
    for child in SPAWN.active_children():  # a failed test must not leak workers
        child.kill()
        child.join(timeout=10)
