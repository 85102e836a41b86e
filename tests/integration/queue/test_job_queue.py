"""JobQueue against real databases: leases, retries, dead letters, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from shared.db import transaction
from shared.queue import Backoff, JobQueue, Outcome


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock for lease and backoff timing."""
    return FakeClock()


def make_queue(engine: Engine, clock: FakeClock, **options: object) -> JobQueue:
    settings: dict[str, object] = {"lease_seconds": 30.0, "backoff": Backoff(jitter=False)}
    return JobQueue(engine, "images", clock=clock, **(settings | options))  # type: ignore[arg-type]


def enqueue(queue: JobQueue, payload: dict[str, object], **options: object) -> int:
    with transaction(queue.engine) as session:
        return queue.enqueue(session, payload, **options)  # type: ignore[arg-type]


def test_enqueued_job_is_claimed_once_then_completed(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock)
    job_id = enqueue(queue, {"image": 7})
    [job] = queue.claim("worker-a")
    assert (job.id, job.payload, job.attempts) == (job_id, {"image": 7}, 1)
    assert queue.claim("worker-b") == []
    assert queue.complete(job) is True
    assert queue.counts() == {"ready": 0, "leased": 0, "done": 1, "dead": 0}


def test_enqueue_with_an_existing_key_returns_the_existing_job(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock)
    with transaction(engine) as session:
        first = queue.enqueue(session, {"image": 1}, key="image-1")
        again_same_transaction = queue.enqueue(session, {"image": 1}, key="image-1")
    again_later = enqueue(queue, {"image": 999}, key="image-1")
    assert first == again_same_transaction == again_later
    [job] = queue.claim("worker")
    assert job.payload == {"image": 1}
    assert queue.counts()["leased"] == 1 and queue.counts()["ready"] == 0


def test_same_key_in_another_queue_is_a_different_job(engine: Engine, clock: FakeClock) -> None:
    images, thumbs = make_queue(engine, clock), JobQueue(engine, "thumbs", clock=clock)
    assert enqueue(images, {}, key="k") != enqueue(thumbs, {}, key="k")
    assert len(images.claim("w", limit=5)) == 1 and len(thumbs.claim("w", limit=5)) == 1


def test_enqueue_rolls_back_with_the_callers_transaction(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        queue.enqueue(session, {"image": 1}, key="image-1")
        raise RuntimeError("the image row failed to save")
    assert queue.counts() == {"ready": 0, "leased": 0, "done": 0, "dead": 0}
    assert queue.claim("worker") == []


def test_claim_skips_jobs_whose_run_after_is_in_the_future(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock)
    enqueue(queue, {"later": True}, delay=10)
    clock.advance(9.9)
    assert queue.claim("worker") == []
    clock.advance(0.1)
    assert [job.payload for job in queue.claim("worker")] == [{"later": True}]


def test_claim_respects_the_limit_and_takes_the_oldest_due_jobs_first(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock)
    for number in range(5):
        enqueue(queue, {"n": number}, delay=5 - number)  # later enqueues are due sooner
    clock.advance(10)
    assert [job.payload["n"] for job in queue.claim("worker", limit=3)] == [4, 3, 2]


def test_expired_lease_is_claimed_again_and_the_first_holder_loses_it(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock)
    enqueue(queue, {"image": 1})
    [first] = queue.claim("worker-a")
    clock.advance(29)
    assert queue.claim("worker-b") == []  # lease still valid
    clock.advance(2)
    [second] = queue.claim("worker-b")
    assert (second.id, second.attempts) == (first.id, 2)
    assert second.lease_token != first.lease_token
    assert queue.complete(first) is False
    assert queue.fail(first, "late failure") is Outcome.LOST
    assert queue.extend(first) is False
    assert queue.complete(second) is True


def test_extend_keeps_a_long_job_from_being_taken(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock)
    enqueue(queue, {"image": 1})
    [job] = queue.claim("worker-a")
    for _ in range(3):
        clock.advance(20)
        assert queue.extend(job) is True
    clock.advance(20)
    assert queue.claim("worker-b") == []
    assert queue.complete(job) is True


def test_failing_job_retries_with_growing_delay_then_dies_with_the_reason(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock, max_attempts=3, backoff=Backoff(base=1.0, jitter=False))
    job_id = enqueue(queue, {"image": 1})
    for attempt, delay in ((1, 1.0), (2, 2.0)):
        [job] = queue.claim("worker")
        assert job.attempts == attempt
        assert queue.fail(job, f"ValueError: bad pixels #{attempt}") is Outcome.RETRY
        clock.advance(delay - 0.01)
        assert queue.claim("worker") == []
        clock.advance(0.01)
    [job] = queue.claim("worker")
    assert queue.fail(job, "ValueError: bad pixels #3") is Outcome.DEAD
    clock.advance(3600)
    assert queue.claim("worker") == []
    [dead] = queue.dead_jobs()
    assert (dead.id, dead.attempts, dead.last_error) == (job_id, 3, "ValueError: bad pixels #3")
    assert dead.finished_at == clock.now - 3600


def test_a_job_whose_workers_all_died_is_handed_out_past_its_attempts_to_be_buried(
    engine: Engine, clock: FakeClock
) -> None:
    queue = make_queue(engine, clock, max_attempts=2)
    enqueue(queue, {"image": "crashes the worker"})
    for _ in range(2):
        assert len(queue.claim("doomed-worker")) == 1
        clock.advance(31)  # the worker died: its lease runs out
    [job] = queue.claim("worker")
    assert job.attempts == 3  # above max_attempts: the worker gives up on it instead of running it (test_worker.py)
    assert queue.bury(job, "its workers stopped") is Outcome.DEAD
    assert queue.bury(job, "again") is Outcome.LOST
    [dead] = queue.dead_jobs()
    assert (dead.attempts, dead.last_error) == (2, "its workers stopped")
    assert queue.claim("worker") == [] and queue.counts()["dead"] == 1


def test_requeued_dead_job_gets_fresh_attempts(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock, max_attempts=1)
    job_id = enqueue(queue, {"image": 1})
    [job] = queue.claim("worker")
    queue.fail(job, "boom")
    assert queue.requeue_dead(job_id) is True
    assert queue.requeue_dead(job_id) is False  # no longer dead
    [again] = queue.claim("worker")
    assert (again.id, again.attempts) == (job_id, 1)


def test_counts_report_every_status(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock, max_attempts=1)
    for number in range(4):
        enqueue(queue, {"n": number})
    done, dead, leased = queue.claim("worker", limit=3)
    queue.complete(done)
    queue.fail(dead, "boom")
    assert queue.counts() == {"ready": 1, "leased": 1, "done": 1, "dead": 1}
    assert leased.attempts == 1


def test_a_postponed_job_comes_back_later_without_using_up_an_attempt(engine: Engine, clock: FakeClock) -> None:
    queue = make_queue(engine, clock, max_attempts=2)
    enqueue(queue, {"image": 3})
    for _ in range(5):  # more postponements than attempts: a long outage of a dependency
        [job] = queue.claim("worker-a")
        assert queue.postpone(job, 10, "results is not reachable") is Outcome.POSTPONED
        assert queue.claim("worker-a") == []
        clock.advance(10)
    [job] = queue.claim("worker-a")
    assert job.attempts == 1
    assert queue.complete(job) is True


def test_a_worker_postpones_a_job_whose_handler_asks_to_retry_later(engine: Engine, clock: FakeClock) -> None:
    from shared.queue.jobs import RetryLater
    from shared.queue.worker import Worker

    queue = make_queue(engine, clock, max_attempts=1)
    enqueue(queue, {"image": 4})

    def dependency_down(job):
        raise RetryLater("uploads is not reachable", delay=3)

    assert Worker(queue, dependency_down).run_once() == 1
    assert queue.counts()["ready"] == 1 and queue.dead_jobs() == []
