"""Workers: poll a JobQueue, run a handler per job, record the outcome."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from shared.queue.backoff import Backoff
from shared.queue.jobs import Job, Outcome, RetryLater
from shared.queue.queue import JobQueue

logger = logging.getLogger(__name__)

# A handler may return the Outcome itself when it completed the job in its own transaction
# (JobQueue.complete with its session); any other return value lets the worker complete it. A handler may also
# have a give_up(job, reason) method: called instead of the handler for a job whose worker died during its last
# attempt, to record the failure before the job is buried (it may raise RetryLater when it cannot do that now).
Handler = Callable[[Job], object]
OutcomeCallback = Callable[[Job, Outcome], object]


class StopSignal(Protocol):
    """What a worker needs from a stop flag (threading.Event and multiprocessing.Event fit)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Worker:
    """Runs jobs from one queue, one claim batch at a time."""

    def __init__(
        self,
        queue: JobQueue,
        handler: Handler,
        *,
        worker_id: str | None = None,
        poll_interval: float = 0.2,
        batch: int = 1,
        on_outcome: OutcomeCallback | None = None,
    ) -> None:
        self.queue, self.handler = queue, handler
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.poll_interval, self.batch, self.on_outcome = poll_interval, batch, on_outcome
        # Jittered, growing pauses while the database is unreachable, so a fleet of
        # workers does not hammer a recovering server in lockstep.
        self._error_backoff = Backoff(base=max(poll_interval, 0.1), cap=10.0, jitter=True)

    def run_once(self) -> int:
        """Claim up to `batch` jobs and handle each; return how many were claimed."""
        jobs = self.queue.claim(self.worker_id, limit=self.batch)
        # The whole claimed batch is finished even if a stop was requested meanwhile:
        # abandoned jobs would otherwise wait out their lease.
        for job in jobs:
            self._report(job, self._handle(job))
        return len(jobs)

    def run(self, stop: StopSignal) -> None:
        """Work until `stop` is set; database errors are logged and retried, never fatal."""
        failures = 0
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except Exception:
                failures += 1
                logger.exception("worker %s: queue %r unavailable (%d in a row); retrying",
                                 self.worker_id, self.queue.name, failures)
                stop.wait(self._error_backoff(failures))
                continue
            failures = 0
            if not claimed:
                stop.wait(self.poll_interval)

    def _handle(self, job: Job) -> Outcome:
        if job.attempts > self.queue.max_attempts:
            return self._give_up(job)
        try:
            settled = self.handler(job)
        except RetryLater as wait:
            logger.warning("job %s postponed %.1f s: %s", job.id, wait.delay, wait)
            return self.queue.postpone(job, wait.delay, str(wait))
        except Exception as exc:
            logger.exception(
                "job %s (queue %r, attempt %d) failed", job.id, job.queue, job.attempts
            )
            outcome = self.queue.fail(job, reason=f"{type(exc).__name__}: {exc}")
        else:
            if isinstance(settled, Outcome):
                outcome = settled
            else:
                outcome = Outcome.DONE if self.queue.complete(job) else Outcome.LOST
        if outcome is Outcome.LOST:
            logger.warning("job %s: lease lost to another worker; it may run twice", job.id)
        elif outcome is Outcome.DEAD:
            logger.error("job %s is dead after %d attempts", job.id, job.attempts)
        return outcome

    def _give_up(self, job: Job) -> Outcome:
        reason = f"its worker stopped during its last attempt ({job.attempts - 1} of {self.queue.max_attempts}; " \
                 "lease expired)"
        give_up = getattr(self.handler, "give_up", None)
        try:
            if give_up is not None:
                give_up(job, reason)
        except RetryLater as wait:
            logger.warning("job %s: giving up postponed %.1f s: %s", job.id, wait.delay, wait)
            return self.queue.postpone(job, wait.delay, str(wait))
        except Exception:  # bury it all the same: the dead letter keeps the job, and requeue_dead can revive it
            logger.exception("job %s: recording the failure before burying it failed", job.id)
        logger.error("job %s is dead: %s", job.id, reason)
        return self.queue.bury(job, reason)

    def _report(self, job: Job, outcome: Outcome) -> None:
        if self.on_outcome is None:
            return
        try:
            self.on_outcome(job, outcome)
        except Exception:  # a broken metrics hook must not stop the work
            logger.exception("on_outcome callback failed for job %s", job.id)


def start_workers(
    queue: JobQueue, handler: Handler, *, count: int, stop: StopSignal, **options: Any
) -> list[threading.Thread]:
    """Start `count` worker threads that stop when `stop` is set; join them to wait."""
    threads = []
    for index in range(count):
        worker = Worker(queue, handler, **options)
        thread = threading.Thread(
            target=worker.run, args=(stop,), name=f"worker-{queue.name}-{index}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def stop_on_signals(
    stop: threading.Event, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)
) -> None:
    """Set `stop` when the process gets one of `signals` (call from the main thread)."""
    for signum in signals:
        signal.signal(signum, lambda _signum, _frame: stop.set())


def serve(queue: JobQueue, handler: Handler, *, threads: int = 1, **options: Any) -> None:
    """Run worker threads until SIGTERM or SIGINT, letting each finish its current jobs."""
    stop = threading.Event()
    stop_on_signals(stop)
    for thread in start_workers(queue, handler, count=threads, stop=stop, **options):
        # Short timeouts keep the main thread responsive to signals while it waits.
        while thread.is_alive():
            thread.join(timeout=0.5)
    logger.info("queue %r: workers stopped", queue.name)
