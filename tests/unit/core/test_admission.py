"""Load shedding: the thread pool marks what arrives when enough already waits; the app refuses it at once."""

from __future__ import annotations

import threading

from shared.service.admission import AdmissionPool, overloaded
from shared.service.app import base_app


def busy_pool(max_queued: int) -> tuple[AdmissionPool, threading.Event]:
    """A one-thread pool whose thread is held until the returned event is set."""
    pool, release, started = AdmissionPool(max_workers=1, max_queued=max_queued), threading.Event(), threading.Event()
    pool.submit(lambda: (started.set(), release.wait(10)))
    assert started.wait(5)
    return pool, release


def test_work_beyond_the_queue_limit_is_marked_and_the_rest_is_not():
    pool, release = busy_pool(max_queued=2)
    futures = [pool.submit(overloaded) for _ in range(5)]
    release.set()

    assert [f.result(timeout=5) for f in futures] == [False, False, True, True, True]
    assert pool.submit(overloaded).result(timeout=5) is False  # with the queue drained, work is admitted again
    pool.shutdown()


def test_a_limit_of_zero_lets_every_request_wait():
    pool, release = busy_pool(max_queued=0)
    futures = [pool.submit(overloaded) for _ in range(20)]
    release.set()

    assert not any(f.result(timeout=5) for f in futures)
    pool.shutdown()


def test_a_marked_request_is_answered_503_with_retry_after_before_its_route_runs_and_probes_still_answer():
    app = base_app("monolith", "test", checks={}, max_upload_bytes=1024)
    ran = []

    @app.get("/work")
    def work():
        ran.append(1)
        return {"done": True}

    client = app.test_client()
    pool, release = busy_pool(max_queued=1)
    pool.submit(lambda: None)  # the one request allowed to wait
    refused = pool.submit(client.get, "/work", headers={"X-Request-ID": "r-overload"})
    probe = pool.submit(client.get, "/healthz")
    release.set()
    refused, probe = refused.result(timeout=5), probe.result(timeout=5)

    assert refused.status_code == 503 and ran == []
    assert refused.headers["Retry-After"] == "1"
    assert refused.content_type == "application/problem+json"
    body = refused.get_json()
    assert body["type"].endswith("/overloaded")
    assert body["request_id"] == refused.headers["X-Request-ID"] == "r-overload"
    assert probe.status_code == 200
    assert pool.submit(client.get, "/work").result(timeout=5).status_code == 200 and ran == [1]
    pool.shutdown()
