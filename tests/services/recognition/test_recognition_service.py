"""The recognition service alone: where uploads' relay hands over jobs, once per image."""

from __future__ import annotations

import pytest

from shared.domain.ids import new_id


@pytest.fixture
def recognition(build_service):
    return build_service("recognition")


@pytest.fixture
def client(recognition):
    return recognition[0].test_client()


@pytest.fixture
def uploads_token(keys) -> dict:
    return keys.service("uploads", "recognition")


def submit(client, headers, image_id: str, owner_id: str):
    return client.post("/v1/jobs", json={"image_id": image_id, "owner_id": owner_id}, headers=headers)


def test_a_job_from_uploads_is_accepted_and_queued(client, recognition, uploads_token, user_id):
    image_id = new_id()
    response = submit(client, {**uploads_token, "X-Request-ID": "relay-1"}, image_id, user_id)
    assert response.status_code == 202 and response.get_json()["image_id"] == image_id
    [job] = recognition[1].queue.claim("test-worker")
    assert (job.key, job.payload["image_id"], job.payload["owner_id"]) == (image_id, image_id, user_id)
    assert job.payload.get("request_id", "relay-1") == "relay-1"


def test_a_resent_job_gets_the_same_job_id_and_is_queued_once(client, recognition, uploads_token, user_id):
    image_id = new_id()
    first = submit(client, uploads_token, image_id, user_id).get_json()["job_id"]
    again = [submit(client, uploads_token, image_id, user_id) for _ in range(3)]
    assert {r.status_code for r in again} == {202} and {r.get_json()["job_id"] for r in again} == {first}
    assert recognition[1].queue.counts()["ready"] == 1


def test_a_resent_job_after_it_ran_is_not_queued_again(client, recognition, uploads_token, user_id):
    image_id, queue = new_id(), recognition[1].queue
    first = submit(client, uploads_token, image_id, user_id).get_json()["job_id"]
    queue.complete(*queue.claim("test-worker"))
    assert submit(client, uploads_token, image_id, user_id).get_json()["job_id"] == first
    assert queue.counts() == {"ready": 0, "leased": 0, "done": 1, "dead": 0}


def test_jobs_for_different_images_are_different_jobs(client, recognition, uploads_token, user_id):
    ids = {submit(client, uploads_token, new_id(), user_id).get_json()["job_id"] for _ in range(3)}
    assert len(ids) == 3 and recognition[1].queue.counts()["ready"] == 3


@pytest.mark.parametrize("body", [
    {"image_id": "not-an-id", "owner_id": "7"},
    {"image_id": None, "owner_id": None},
    {"image_id": "0190a9e2-7c3f-7aaa-8bbb-ABCDEF012345", "owner_id": "0190a9e2-7c3f-7aaa-8bbb-0123456789ab"},
    {"image_id": "0190a9e2-7c3f-7aaa-8bbb-0123456789ab"},
    {},
])
def test_a_job_without_valid_ids_is_422_naming_them(client, recognition, uploads_token, body):
    response = client.post("/v1/jobs", json=body, headers=uploads_token)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.get_json()["errors"]} == {"image_id", "owner_id"}
    assert sum(recognition[1].queue.counts().values()) == 0


def test_a_body_that_is_not_a_json_object_is_422(client, uploads_token):
    response = client.post("/v1/jobs", data="[1]", content_type="application/json", headers=uploads_token)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("caller", ["none", "user", "uploads_for_results", "recognition_itself", "results"])
def test_jobs_need_uploads_token_for_recognition(client, recognition, keys, user_id, caller):
    headers = {"none": {}, "user": keys.user(user_id),
               "uploads_for_results": keys.service("uploads", "results"),
               "recognition_itself": keys.service("recognition", "recognition"),
               "results": keys.service("results", "recognition")}[caller]
    response = submit(client, headers, new_id(), user_id)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert sum(recognition[1].queue.counts().values()) == 0


def test_queue_depth_is_in_metrics(client, uploads_token, user_id):
    submit(client, uploads_token, new_id(), user_id)
    assert 'twintag_queue_jobs{queue="recognition",status="ready"} 1.0' in client.get("/metrics").text
