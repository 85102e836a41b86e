"""The uploads service alone: its owners' images, the outbox written with each upload, recognition's view."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from microservices.uploads.bootstrap import OUTBOX
from shared.queue.tables import JobRow
from tests.support.images import solid

SERVICE_ROUTES = [("POST", "/start"), ("GET", "/content"), ("PUT", "/status")]


@pytest.fixture
def uploads(build_service):
    return build_service("uploads")


@pytest.fixture
def client(uploads):
    return uploads[0].test_client()


def upload(client, headers, data: bytes | None = None, name: str = "photo.jpg"):
    body = {"file": (io.BytesIO(data or solid()), name)}
    return client.post("/v1/images", data=body, headers=headers, content_type="multipart/form-data")


def outbox_payloads(service) -> list[dict]:
    with Session(service.engine) as session:
        return list(session.scalars(select(JobRow.payload).where(JobRow.queue == OUTBOX)))


def test_an_upload_is_202_pending_and_writes_its_outbox_row(client, uploads, keys, user_id):
    response = upload(client, keys.user(user_id))
    assert response.status_code == 202 and response.get_json()["status"] == "pending"
    service = uploads[1]
    assert service.outbox.counts()["ready"] == 1
    [payload] = outbox_payloads(service)
    assert (payload["image_id"], payload["owner_id"]) == (response.get_json()["id"], user_id)


def test_an_upload_whose_outbox_row_fails_leaves_no_image_behind(client, uploads, keys, user_id, monkeypatch):
    service = uploads[1]

    def broken_enqueue(*_args, **_kwargs):
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(service.outbox, "enqueue", broken_enqueue)
    assert upload(client, keys.user(user_id)).status_code == 500
    monkeypatch.undo()
    assert client.get("/v1/images", headers=keys.user(user_id)).get_json()["items"] == []
    assert sum(service.outbox.counts().values()) == 0
    assert not [p for p in service.store.root.rglob("*") if p.is_file()]


def test_an_upload_without_a_file_or_with_non_image_bytes_is_refused(client, uploads, keys, user_id):
    missing = client.post("/v1/images", data={}, headers=keys.user(user_id), content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "file"
    assert upload(client, keys.user(user_id), b"not an image at all").status_code == 415
    assert sum(uploads[1].outbox.counts().values()) == 0


def test_another_users_image_is_404_everywhere(client, keys, user_id, other_user_id):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    other = keys.user(other_user_id)
    for method, path in [("GET", ""), ("GET", "/content"), ("DELETE", "")]:
        assert client.open(f"/v1/images/{image_id}{path}", method=method, headers=other).status_code == 404
    assert client.get("/v1/images", query_string={"ids": image_id}, headers=other).get_json()["items"] == []
    assert client.get("/v1/images", headers=other).get_json()["items"] == []
    assert client.get(f"/v1/images/{image_id}", headers=keys.user(user_id)).status_code == 200


def test_list_by_ids_status_and_before_is_newest_first(client, keys, user_id):
    mine = keys.user(user_id)
    first, second, third = (upload(client, mine, solid(c)).get_json()["id"] for c in ("red", "green", "blue"))
    ids = lambda response: [i["id"] for i in response.get_json()["items"]]  # noqa: E731
    assert ids(client.get("/v1/images", query_string={"ids": f"{first},{third},junk"}, headers=mine)) == [third, first]
    assert ids(client.get("/v1/images", query_string={"before": third}, headers=mine)) == [second, first]
    assert ids(client.get("/v1/images", query_string={"limit": "1"}, headers=mine)) == [third]
    client.put(f"/v1/recognition/images/{second}/status", json={"status": "done"},
               headers=keys.service("recognition", "uploads"))
    assert ids(client.get("/v1/images", query_string={"status": "done"}, headers=mine)) == [second]
    assert ids(client.get("/v1/images", query_string={"status": "pending"}, headers=mine)) == [third, first]


@pytest.mark.parametrize("query", [{"status": "lost"}, {"limit": "0"}, {"limit": "many"}])
def test_bad_list_parameters_are_422(client, keys, user_id, query):
    assert client.get("/v1/images", query_string=query, headers=keys.user(user_id)).status_code == 422


def test_content_is_the_stored_image_and_not_sniffable(client, keys, user_id):
    image_id = upload(client, keys.user(user_id), solid("purple", fmt="PNG"), "p.png").get_json()["id"]
    content = client.get(f"/v1/images/{image_id}/content", headers=keys.user(user_id))
    assert content.mimetype == "image/png" and content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.data.startswith(b"\x89PNG")


def test_delete_removes_the_image_and_its_bytes(client, uploads, keys, user_id):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    assert client.delete(f"/v1/images/{image_id}", headers=keys.user(user_id)).status_code == 204
    assert client.get(f"/v1/images/{image_id}", headers=keys.user(user_id)).status_code == 404
    assert not (uploads[1].store.root / "images" / image_id).exists()


def test_recognition_marks_processing_reads_bytes_and_finishes(client, keys, user_id):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    recognition = keys.service("recognition", "uploads")
    started = client.post(f"/v1/recognition/images/{image_id}/start", headers=recognition).get_json()
    assert (started["status"], started["owner_id"]) == ("processing", user_id)
    content = client.get(f"/v1/recognition/images/{image_id}/content", headers=recognition)
    assert content.data[:2] == b"\xff\xd8"
    bad = client.put(f"/v1/recognition/images/{image_id}/status", json={"status": "pending"}, headers=recognition)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "status"
    done = client.put(f"/v1/recognition/images/{image_id}/status", json={"status": "done"}, headers=recognition)
    assert done.status_code == 204
    assert client.get(f"/v1/images/{image_id}", headers=keys.user(user_id)).get_json()["status"] == "done"


def test_recognition_asking_for_a_deleted_image_gets_404(client, keys, user_id):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    client.delete(f"/v1/images/{image_id}", headers=keys.user(user_id))
    recognition = keys.service("recognition", "uploads")
    assert client.post(f"/v1/recognition/images/{image_id}/start", headers=recognition).status_code == 404
    assert client.get(f"/v1/recognition/images/{image_id}/content", headers=recognition).status_code == 404


def test_reporting_the_end_of_recognition_of_an_image_deleted_meanwhile_is_404(client, keys, user_id):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    recognition = keys.service("recognition", "uploads")
    assert client.post(f"/v1/recognition/images/{image_id}/start", headers=recognition).status_code == 200
    client.delete(f"/v1/images/{image_id}", headers=keys.user(user_id))

    report = client.put(f"/v1/recognition/images/{image_id}/status", json={"status": "done"}, headers=recognition)

    assert report.status_code == 404 and report.mimetype == "application/problem+json"


@pytest.mark.parametrize("caller", ["none", "user", "recognition_for_results", "uploads_itself"])
@pytest.mark.parametrize(("method", "suffix"), SERVICE_ROUTES)
def test_recognition_routes_need_recognitions_token_for_uploads(client, keys, user_id, caller, method, suffix):
    image_id = upload(client, keys.user(user_id)).get_json()["id"]
    headers = {"none": {}, "user": keys.user(user_id),
               "recognition_for_results": keys.service("recognition", "results"),
               "uploads_itself": keys.service("uploads", "uploads")}[caller]
    response = client.open(f"/v1/recognition/images/{image_id}{suffix}", method=method, headers=headers,
                           json={"status": "done"} if method == "PUT" else None)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert client.get(f"/v1/images/{image_id}", headers=keys.user(user_id)).get_json()["status"] == "pending"
