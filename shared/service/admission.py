"""Load shedding: when more requests wait for a thread than a worker can soon serve, the excess is refused.

gunicorn's gthread worker hands each request to a thread pool; beyond its threads, requests wait in the pool's
queue for as long as it takes, so at twice the capacity every answer ends up late. Here the pool counts what
waits: a request that arrives when `max_queued` are already waiting is marked, and when a thread takes it up,
the app answers it `503` with `Retry-After` before doing any of its work (probes excepted). The requests that
were accepted wait for at most `max_queued` requests ahead of them (docs/performance.md, section 8).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, request
from prometheus_client import Counter

from shared.domain.errors import Overloaded

PROBES = {"/healthz", "/readyz", "/metrics"}
RETRY_AFTER_SECONDS = 1
SHED = Counter("twintag_http_requests_shed_total",
               "Requests refused with 503 because too many were already waiting for a thread.", ["service"])
_current = threading.local()


class AdmissionPool(ThreadPoolExecutor):
    """A thread pool that marks work submitted while `max_queued` items already wait for a thread."""

    def __init__(self, max_workers: int, max_queued: int):
        super().__init__(max_workers=max_workers)
        self.max_queued = max_queued
        self._waiting = 0
        self._count_lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._count_lock:
            # Work waits only while every thread is busy: with a thread free it starts at once, so the count of
            # submitted-but-not-started work is the queue.
            refuse = 0 < self.max_queued <= self._waiting
            self._waiting += 1
        return super().submit(self._run, refuse, fn, *args, **kwargs)

    def _run(self, refuse: bool, fn, *args, **kwargs):
        with self._count_lock:
            self._waiting -= 1
        _current.refuse = refuse
        try:
            return fn(*args, **kwargs)
        finally:
            _current.refuse = False


def overloaded() -> bool:
    """True in a thread serving a request that arrived when the worker already had enough waiting."""
    return getattr(_current, "refuse", False)


def refuse_when_overloaded(app: Flask, service: str) -> None:
    """Answer a marked request 503 + Retry-After before any of its work (registered after the request id)."""

    @app.before_request
    def _admit() -> None:
        if overloaded() and request.path not in PROBES:
            SHED.labels(service).inc()
            raise Overloaded("TwinTag is busy; try again shortly.", retry_after=RETRY_AFTER_SECONDS)
