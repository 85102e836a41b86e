"""The uploads service's outbox relay over real HTTP: recognition's real app on loopback, a fake users service."""

from __future__ import annotations

import io
import time

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import update

from shared.api.representations import token_json
from shared.auth.service_auth import ServiceCredentials
from shared.db.session import transaction
from shared.domain.images import ImageStatus
from shared.images.triggers import REFUSED_CREDENTIALS_RETRY_SECONDS
from shared.queue.tables import JobRow
from shared.queue.worker import Worker
from shared.service.app import base_app
from tests.support.images import solid
from tests.support.live import free_port

SECRET = "uploads-secret"


def fake_users(keys, asked: list[dict]) -> Flask:
    """Issues service tokens like the users service would, signed with the test key."""
    app = base_app("fake-users", "test", checks={}, max_upload_bytes=1024)  # problem+json errors
    credentials = ServiceCredentials({"uploads": SECRET}, keys.issuer)

    @app.post("/v1/service-tokens")
    def service_token():
        asked.append(request.get_json())
        body = request.get_json()
        return jsonify(token_json(credentials.issue(body["client_id"], body["client_secret"], body["audience"])))

    return app


@pytest.fixture
def token_requests() -> list[dict]:
    return []


@pytest.fixture
def recognition_port() -> int:
    return free_port()


@pytest.fixture
def recognition(build_service):
    return build_service("recognition")


@pytest.fixture
def uploads(build_service, serve, keys, token_requests, recognition_port):
    users = serve(fake_users(keys, token_requests))
    return build_service("uploads", users_url=users.url, recognition_url=f"http://127.0.0.1:{recognition_port}",
                         service_secret=SECRET)


def accept_upload(uploads, keys, user_id) -> str:
    app, _service = uploads
    response = app.test_client().post("/v1/images", data={"file": (io.BytesIO(solid()), "a.jpg")},
                                      headers=keys.user(user_id), content_type="multipart/form-data")
    assert response.status_code == 202
    return response.get_json()["id"]


def relay_until_claimed(worker: Worker, timeout: float = 5.0) -> None:
    """Run the relay once a row is due (a failed row waits out its backoff first)."""
    deadline = time.monotonic() + timeout
    while worker.run_once() == 0:
        assert time.monotonic() < deadline, "no outbox row became due"
        time.sleep(0.05)


def queued_image_ids(recognition) -> list[str]:
    return [job.payload["image_id"] for job in recognition[1].queue.claim("test", limit=100)]


def test_the_relay_hands_each_upload_to_recognition_with_a_service_token(uploads, recognition, serve, keys,
                                                                         user_id, token_requests, recognition_port):
    serve(recognition[0], recognition_port)
    image_ids = [accept_upload(uploads, keys, user_id) for _ in range(3)]
    worker = Worker(uploads[1].outbox, uploads[1].relay_handler())
    for _ in image_ids:
        relay_until_claimed(worker)
    assert uploads[1].outbox.counts() == {"ready": 0, "leased": 0, "done": 3, "dead": 0}
    assert sorted(queued_image_ids(recognition)) == sorted(image_ids)
    assert token_requests == [{"client_id": "uploads", "client_secret": SECRET, "audience": "recognition"}]


def test_a_redelivered_row_is_one_recognition_job(uploads, recognition, serve, keys, user_id, recognition_port):
    serve(recognition[0], recognition_port)
    image_id = accept_upload(uploads, keys, user_id)
    [job] = uploads[1].outbox.claim("test")
    deliver = uploads[1].relay_handler()
    deliver(job)
    deliver(job)  # the relay died after recognition accepted, before it marked the row done
    assert queued_image_ids(recognition) == [image_id]


def test_a_recognition_outage_leaves_the_row_ready_and_it_is_delivered_later(uploads, recognition, serve, keys,
                                                                              user_id, recognition_port):
    image_id = accept_upload(uploads, keys, user_id)
    outbox = uploads[1].outbox
    worker = Worker(outbox, uploads[1].relay_handler())
    assert worker.run_once() == 1  # recognition is not listening
    assert outbox.counts() == {"ready": 1, "leased": 0, "done": 0, "dead": 0}
    assert sum(recognition[1].queue.counts().values()) == 0
    serve(recognition[0], recognition_port)
    relay_until_claimed(worker)
    assert outbox.counts()["done"] == 1
    assert queued_image_ids(recognition) == [image_id]


def test_a_refused_service_token_leaves_the_row_ready(build_service, serve, keys, user_id, token_requests,
                                                      recognition, recognition_port):
    serve(recognition[0], recognition_port)
    users = serve(fake_users(keys, token_requests))
    misconfigured = build_service("uploads", users_url=users.url, service_secret="not-the-secret",
                                  recognition_url=f"http://127.0.0.1:{recognition_port}")
    image_id = accept_upload(misconfigured, keys, user_id)
    outbox = misconfigured[1].outbox
    worker = Worker(outbox, misconfigured[1].relay_handler())
    skip_time(outbox)
    for _ in range(outbox.max_attempts + 2):  # an operator's mistake: no number of tries uses the row up
        assert worker.run_once() == 1
        assert outbox.counts()["ready"] == 1
        skip_time(outbox, REFUSED_CREDENTIALS_RETRY_SECONDS)
    assert sum(recognition[1].queue.counts().values()) == 0
    assert misconfigured[1].catalog.get(user_id, image_id).status == ImageStatus.PENDING  # recognized once fixed


def test_a_row_recognition_keeps_refusing_ends_with_its_image_failed(uploads, recognition, serve, keys, user_id,
                                                                      recognition_port):
    serve(recognition[0], recognition_port)
    image_id = accept_upload(uploads, keys, user_id)
    outbox = uploads[1].outbox
    with transaction(outbox.engine) as session:  # a row recognition answers 422, as after a breaking change
        session.execute(update(JobRow).where(JobRow.key == image_id).values(payload={"image_id": image_id}))
    worker = Worker(outbox, uploads[1].relay_handler())
    skip_time(outbox)
    for _ in range(outbox.max_attempts):
        assert worker.run_once() == 1
        skip_time(outbox, 60)  # past the backoff
    [dead] = outbox.dead_jobs()
    image = uploads[1].catalog.get(user_id, image_id)
    assert dead.key == image_id and image.status == ImageStatus.FAILED
    assert image.error.startswith("could not be handed to recognition: InvalidInput: image_id and owner_id must be")


def skip_time(queue, seconds: float = 0.0) -> None:
    """Move the queue's clock forward, as if the row's wait had passed."""
    skipped = getattr(queue, "skipped", 0.0) + seconds
    queue.skipped, queue.clock = skipped, lambda: time.time() + skipped
