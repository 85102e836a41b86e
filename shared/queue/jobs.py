"""The values the queue hands to workers and callers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RetryLater(Exception):  # noqa: N818 - it is a request to the worker, not an error
    """Raised by a handler when a dependency is down: try again after `delay` without using up an attempt."""

    def __init__(self, reason: str, delay: float):
        super().__init__(reason)
        self.delay = delay


class Outcome(StrEnum):
    """What happened to a job after a worker handled it."""

    DONE = "done"
    RETRY = "retry"
    POSTPONED = "postponed"  # a dependency was down: retried later, the attempt not counted
    DEAD = "dead"
    LOST = "lost"  # the lease had passed to another worker: our result did not count


@dataclass(frozen=True)
class Job:
    """A claimed job: the lease_token proves this worker still holds it."""

    id: int
    queue: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    lease_token: str


@dataclass(frozen=True)
class DeadJob:
    """A dead letter: a job that ran out of attempts, with the last reason."""

    id: int
    key: str | None
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    finished_at: float | None
