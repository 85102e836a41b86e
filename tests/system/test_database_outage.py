"""Row 7 of RELIABILITY.md: the monolith on PostgreSQL while the database crashes and comes back."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.blackbox import ApiUser
from tests.support.images import solid
from tests.support.live import start_stack

pytestmark = [pytest.mark.postgres, pytest.mark.system]
OUTAGE_SECONDS = 6.0
CALL_TIMEOUT = httpx.Timeout(10.0)


@pytest.fixture
def stack(tmp_path, model_cache, postgres_url):
    """The monolith under gunicorn on a fresh database of the shared cluster."""
    # A short lease: a job whose worker lost the database mid-job is claimed again soon after recovery.
    live = start_stack("monolith", tmp_path / "monolith", model_cache,
                       env={"TWINTAG_DATABASE_URL": postgres_url, "TWINTAG_RECOGNITION_LEASE_SECONDS": "8"})
    yield live
    live.stop_everything()


class Uploader(threading.Thread):
    """Uploads one image after another, each retried with its own Idempotency-Key until it is acknowledged."""

    def __init__(self, user: ApiUser):
        super().__init__(daemon=True)
        self.user, self.stop, self.accepted, self.refusals = user, threading.Event(), {}, Counter()

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            key = f"k{number}"
            while key not in self.accepted and not self.stop.is_set():
                try:
                    response = self.user.upload(solid(("red", "green", "blue")[number % 3]),
                                                **{"Idempotency-Key": key})
                except httpx.TransportError as exc:
                    self.refusals[(type(exc).__name__, str(exc))] += 1
                    continue
                if response.status_code == 202:
                    self.accepted[key] = response.json()["id"]
                else:
                    self.refusals[(response.status_code, response.headers.get("Retry-After"))] += 1
                    time.sleep(0.2)
            number += 1
            time.sleep(0.05)


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll until the condition holds, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def probe(http: httpx.Client, method: str, path: str, **kwargs) -> tuple[httpx.Response, float]:
    """One call, with how long it took."""
    started = time.monotonic()
    response = http.request(method, path, **kwargs)
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    """A 503 problem with Retry-After, answered quickly."""
    assert response.status_code == 503, (response.request.url, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0 and response.json()["status"] == 503
    assert elapsed < CALL_TIMEOUT.read


@pytest.fixture
def user(stack):
    """A registered user whose calls give up after 10 s."""
    user = ApiUser(stack.base_url)
    user.http.timeout = CALL_TIMEOUT
    yield user
    user.close()


@pytest.fixture
def http(stack, user):
    """A second client for probes, with the user's token (the uploader thread has the first)."""
    with httpx.Client(base_url=stack.base_url, timeout=CALL_TIMEOUT, headers=user.http.headers) as client:
        yield client


@pytest.fixture
def uploader(user):
    """Uploads in the background from the start of the test to its end."""
    thread = Uploader(user)
    thread.start()
    yield thread
    thread.stop.set()
    thread.join(30)


@pytest.fixture
def crash(postgres_cluster):
    """Stop the shared cluster like a crash; whatever happens, it runs again when the test ends."""
    yield lambda: postgres_cluster.stop(mode="immediate")
    if not postgres_cluster.running:
        postgres_cluster.start()


def test_database_crash_answers_503_keeps_healthz_and_loses_no_acknowledged_upload(
        stack, user, http, uploader, crash, postgres_cluster, postgres_url):
    wait_for(lambda: len(uploader.accepted) >= 5, 30, "five uploads before the crash")
    crash()
    crashed, acknowledged_before = time.monotonic(), len(uploader.accepted)
    while time.monotonic() - crashed < OUTAGE_SECONDS:
        assert probe(http, "GET", "/healthz")[0].status_code == 200
        ready = probe(http, "GET", "/readyz")[0]
        assert ready.status_code == 503 and "database" in ready.json()["failed"] and ready.headers["Retry-After"]
        for method, path in (("GET", "/api/v1/images"), ("GET", "/api/v1/users/me"), ("GET", "/api/v1/tags")):
            assert_unavailable(*probe(http, method, path))
        assert_unavailable(*probe(http, "POST", "/api/v1/tokens", json={"email": user.email, "password": "x"}))
        assert_unavailable(*probe(http, "POST", "/api/v1/images", files={"file": ("a.jpg", solid())}))
        time.sleep(0.3)
    acknowledged_during = len(uploader.accepted) - acknowledged_before
    restart = threading.Thread(target=postgres_cluster.start)
    restart.start()
    try:  # while the server starts up and recovers, every answer is a 503 or a success, never a 500
        while restart.is_alive():
            response, elapsed = probe(http, "GET", "/api/v1/images")
            assert response.status_code in (200, 503) and elapsed < CALL_TIMEOUT.read, response.text[:300]
    finally:
        restart.join(120)
    wait_for(lambda: probe(http, "GET", "/api/v1/images")[0].status_code == 200, 5, "recovery after the restart")
    assert probe(http, "GET", "/readyz")[0].status_code == 200
    recovered_at = len(uploader.accepted)
    wait_for(lambda: len(uploader.accepted) >= recovered_at + 5, 30, "five uploads after the restart")
    uploader.stop.set()
    uploader.join(30)
    assert set(uploader.refusals) <= {(503, "5")}, uploader.refusals
    assert acknowledged_during <= 1  # at most one response was on its way when the server died
    ids = set(uploader.accepted.values())
    assert len(ids) == len(uploader.accepted)
    statuses = Counter(user.wait_until_finished(image_id, timeout=60)["status"] for image_id in ids)
    assert statuses == {"done": len(ids)}, stack.logs()
    assert_store_matches_rows(stack, postgres_url, ids)


def assert_store_matches_rows(stack, url: str, acknowledged: set[str]) -> None:
    """One row and one object per acknowledged upload: no duplicate, no orphan, no temp file."""
    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database) as db:
        rows = {row[0] for row in db.execute("SELECT id FROM images")}
    objects = stack.data_dir / "monolith" / "objects"
    assert rows == acknowledged
    assert {p.name for p in (objects / "images").iterdir()} == acknowledged
    assert not list(objects.rglob(".tmp-*"))
