"""Worker.run: a failing database is logged and retried; the loop never dies of it."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy.exc import OperationalError

from shared.queue import Job, Outcome, Worker


class FlakyQueue:
    """A queue stub whose claim fails a few times, as if the database were down."""

    name, max_attempts = "images", 5

    def __init__(self, failures: int, stop: threading.Event) -> None:
        self.failures, self.stop = failures, stop
        self.completed: list[Job] = []

    def claim(self, worker_id: str, *, limit: int = 1) -> list[Job]:
        if self.failures:
            self.failures -= 1
            raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
        return [Job(1, self.name, None, {}, 1, "token")]

    def complete(self, job: Job) -> bool:
        self.completed.append(job)
        self.stop.set()
        return True


def test_run_logs_database_errors_and_retries_until_it_can_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = threading.Event()
    queue = FlakyQueue(failures=3, stop=stop)
    worker = Worker(queue, lambda job: None, poll_interval=0.001)  # type: ignore[arg-type]
    outcomes: list[Outcome] = []
    worker.on_outcome = lambda job, outcome: outcomes.append(outcome)
    with caplog.at_level(logging.ERROR, logger="shared.queue.worker"):
        worker.run(stop)
    assert outcomes == [Outcome.DONE]
    assert caplog.text.count("unavailable") == 3


class RecordingQueue:
    """A queue stub with one job that records which calls the worker made."""

    name, max_attempts = "images", 5

    def __init__(self) -> None:
        self.completed: list[Job] = []

    def claim(self, worker_id: str, *, limit: int = 1) -> list[Job]:
        return [Job(1, self.name, None, {}, 1, "token")]

    def complete(self, job: Job) -> bool:
        self.completed.append(job)
        return True


@pytest.mark.parametrize("settled", [Outcome.DONE, Outcome.LOST])
def test_a_handler_that_completed_its_job_itself_decides_the_outcome(settled: Outcome) -> None:
    queue = RecordingQueue()
    outcomes: list[Outcome] = []
    worker = Worker(queue, lambda job: settled, on_outcome=lambda job, outcome: outcomes.append(outcome))  # type: ignore[arg-type]

    worker.run_once()

    assert outcomes == [settled]
    assert queue.completed == []


def test_a_handler_that_returns_nothing_leaves_completion_to_the_worker() -> None:
    queue = RecordingQueue()
    worker = Worker(queue, lambda job: None)  # type: ignore[arg-type]

    worker.run_once()

    assert len(queue.completed) == 1
