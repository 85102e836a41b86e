"""The monolith's core flows on a real PostgreSQL: accounts, uploads, listing, ownership, idempotency races."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from monolith.app import create_app
from monolith.bootstrap import bootstrap
from shared.images.catalog import ImageCatalog, UploadLimits
from shared.images.tables import ImageRow
from shared.queue.tables import JobRow
from shared.settings import settings_in
from shared.users.tables import LoginFailureRow
from tests.integration.api.test_images import upload
from tests.support.images import solid

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path, postgres_url):
    """Like the SQLite default, but every table lives in a fresh PostgreSQL database."""
    return settings_in(tmp_path / "data", database_url=postgres_url, login_max_failures=3)


def counts(engine) -> tuple[int, int]:
    """Number of image rows and of jobs."""
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(ImageRow)),
                session.scalar(select(func.count()).select_from(JobRow)))


def stored_objects(settings) -> list[str]:
    """Every file under the object store (temporary ones included)."""
    return sorted(str(p.relative_to(settings.object_store_dir)) for p in settings.object_store_dir.rglob("*")
                  if p.is_file())


def test_the_engine_really_talks_to_postgresql(monolith):
    assert monolith.engine.dialect.name == "postgresql"


def test_register_then_register_again_is_a_conflict(auth):
    assert auth.register().status_code == 201
    again = auth.register()
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_text_postgresql_cannot_store_is_answered_not_a_500(auth, client):
    headers = auth.headers()
    assert client.get("/api/v1/images?tag=%00", headers=headers).get_json() == {"items": [], "next_cursor": None}
    for email in ("ada\x00@example.com", "a" * 400 + "@example.com"):  # no such account; no such throttle key
        assert auth.login(email=email).status_code == 401
        assert auth.register(email=email).status_code == 422


def test_login_works_and_repeated_failures_are_throttled_with_429(auth):
    auth.register()
    assert auth.login().status_code == 200
    statuses = [auth.login(password="wrong password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = auth.login()
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_concurrent_failed_logins_are_all_counted_and_at_most_the_limit_tried(app, auth, monolith):
    auth.register()
    start, statuses = threading.Barrier(8), []

    def fail_once() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post("/api/v1/tokens", json={"email": "ada@example.com",
                                                             "password": "wrong password"}).status_code)

    threads = [threading.Thread(target=fail_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [401] * 3 + [429] * 5  # parallel guesses queue on the count: no more than 3 tried
    with Session(monolith.engine) as session:
        assert session.get(LoginFailureRow, "email:ada@example.com").failures == statuses.count(401)  # none lost
    assert auth.login().status_code == 429


def test_upload_writes_the_row_and_its_job_in_one_transaction(client, auth, monolith, settings):
    response = upload(client, auth.headers(), solid())
    assert response.status_code == 202
    image = response.get_json()
    assert counts(monolith.engine) == (1, 1)
    assert [job.key for job in monolith.queue.claim("test", limit=10)] == [image["id"]]
    assert stored_objects(settings) == [f"images/{image['id']}"]


class FailingTrigger:
    """Enqueues the job like the monolith's trigger, then fails before the transaction commits."""

    def __init__(self, queue):
        self.queue = queue

    def request(self, session, image) -> None:
        self.queue.enqueue(session, {"image_id": image.id}, key=image.id)
        session.flush()
        raise RuntimeError("the trigger broke after the row and the job were written")


def test_a_failure_inside_accepts_transaction_rolls_back_row_and_job_and_removes_the_bytes(monolith, settings):
    catalog = ImageCatalog(monolith.engine, monolith.store, FailingTrigger(monolith.queue), UploadLimits())
    with pytest.raises(RuntimeError, match="trigger broke"):
        catalog.accept("0" * 32, solid(), "photo.jpg", "key-1")
    assert counts(monolith.engine) == (0, 0)
    assert stored_objects(settings) == []


def lose_the_commit_acknowledgement(session) -> None:
    """The COMMIT reached the server, but the connection died before its answer came back."""
    raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))


def test_an_upload_whose_commit_outcome_is_unknown_keeps_its_bytes(monolith):
    event.listen(Session, "after_commit", lose_the_commit_acknowledgement)
    try:
        with pytest.raises(OperationalError):
            monolith.images.accept("0" * 32, solid(), "photo.jpg", "key-1")
    finally:
        event.remove(Session, "after_commit", lose_the_commit_acknowledgement)
    retried = monolith.images.accept("0" * 32, solid(), "photo.jpg", "key-1")
    assert monolith.images.content("0" * 32, retried.id)[0]


def test_eight_concurrent_uploads_with_one_idempotency_key_make_one_image_and_no_orphan(app, auth, monolith,
                                                                                        settings):
    headers = {**auth.headers(), "Idempotency-Key": "same-key"}
    start = threading.Barrier(8)
    responses: list = [None] * 8

    def send(number: int) -> None:
        client = app.test_client()
        start.wait()
        responses[number] = upload(client, headers, solid(("red", "green", "blue", "white")[number % 4]))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [r.status_code for r in responses] == [202] * 8, [r.get_data(as_text=True) for r in responses]
    ids = {r.get_json()["id"] for r in responses}
    assert len(ids) == 1
    assert counts(monolith.engine) == (1, 1)
    assert stored_objects(settings) == [f"images/{ids.pop()}"]


def test_listing_is_newest_first_with_a_cursor(client, auth):
    headers = auth.headers()
    ids = [upload(client, headers, solid()).get_json()["id"] for _ in range(5)]
    pages, cursor = [], ""
    while cursor is not None:
        page = client.get(f"/api/v1/images?limit=2{cursor and '&cursor=' + cursor}", headers=headers).get_json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[:1]]


def test_another_users_image_is_404_on_read_content_and_delete(client, auth):
    alice, bob = auth.headers("alice@example.com"), auth.headers("bob@example.com")
    image = upload(client, alice, solid()).get_json()
    for method, path in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
        assert client.open(f"/api/v1/images/{image['id']}{path}", method=method, headers=bob).status_code == 404
    assert client.get(f"/api/v1/images/{image['id']}", headers=alice).get_json() == image


def test_delete_removes_the_row_and_the_bytes(client, auth, monolith, settings):
    headers = auth.headers()
    image = upload(client, headers, solid()).get_json()
    assert client.delete(f"/api/v1/images/{image['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/images/{image['id']}", headers=headers).status_code == 404
    assert counts(monolith.engine)[0] == 0
    assert stored_objects(settings) == []


def test_a_database_that_accepts_but_never_answers_is_a_quick_503_not_a_hang(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel completes the handshake; nobody speaks
        url = f"postgresql+psycopg://twintag@127.0.0.1:{silent.getsockname()[1]}/twintag"
        monolith = bootstrap(settings_in(tmp_path / "data", database_url=url))
        try:
            client = create_app(monolith.settings, monolith).test_client()
            started = time.monotonic()
            response = client.post("/api/v1/users", json={"email": "ada@example.com", "password": "correct horse"})
            assert time.monotonic() - started < 10
            assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
            assert response.mimetype == "application/problem+json"
        finally:
            monolith.engine.dispose()
