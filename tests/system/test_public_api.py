"""The public API, black-box, over real HTTP against a running variant (the parity suite)."""

from __future__ import annotations

import io
import json
import socket

import httpx
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tests.support.blackbox import CAT_LABELS, COFFEE_LABELS, ApiUser
from tests.support.images import phone_photo, photo, solid

pytestmark = pytest.mark.system


@pytest.fixture
def user(live_stack):
    client = ApiUser(live_stack.base_url)
    yield client
    client.close()


@pytest.fixture
def other_user(live_stack):
    client = ApiUser(live_stack.base_url)
    yield client
    client.close()


@pytest.mark.parametrize(("sample", "expected"), [("coffee", COFFEE_LABELS), ("chelsea", CAT_LABELS)])
def test_a_photo_is_tagged_by_the_real_classifier(user, sample, expected):
    accepted = user.upload(photo(sample), f"{sample}.jpg")
    assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
    image = user.wait_until_finished(accepted.json()["id"])
    labels = {t["label"] for t in image["tags"]}
    assert image["status"] == "done", image
    assert labels & expected, labels


def test_a_phone_sized_photo_is_accepted_and_tagged(user):
    """Bodies of many read chunks: a form-memory limit below the multipart parser's chunk once refused them."""
    big = phone_photo()
    assert len(big) > 2 * 1024 * 1024
    for _ in range(3):  # whether a chunk ends near a line break varies with the bytes: more than one try
        accepted = user.upload(big, "phone.jpg")
        assert accepted.status_code == 202, accepted.text
    image = user.wait_until_finished(accepted.json()["id"])
    assert image["status"] == "done" and {t["label"] for t in image["tags"]} & CAT_LABELS, image


def test_tags_list_filter_and_delete_work_together(user):
    coffee = user.upload(photo("coffee")).json()["id"]
    cat = user.upload(photo("chelsea")).json()["id"]
    for image_id in (coffee, cat):
        user.wait_until_finished(image_id)
    counts = {t["label"]: t["count"] for t in user.http.get("/api/v1/tags").json()["items"]}
    cat_label = next(label for label in CAT_LABELS if label in counts)
    filtered = user.http.get("/api/v1/images", params={"tag": cat_label}).json()["items"]
    assert [i["id"] for i in filtered] == [cat]
    assert user.http.delete(f"/api/v1/images/{cat}").status_code == 204
    assert user.http.get(f"/api/v1/images/{cat}").status_code == 404
    assert user.http.get("/api/v1/images", params={"tag": cat_label}).json()["items"] == []
    remaining = {t["label"] for t in user.http.get("/api/v1/tags").json()["items"]}
    assert cat_label not in remaining


def results_reads(live_stack) -> float:
    """How many tag reads the results service has answered (0 for the monolith, which has no such service)."""
    if live_stack.variant == "monolith":
        return 0.0
    text = httpx.get(f"{live_stack.url_of('results')}/metrics").text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "twintag_http_request_duration_seconds_count"
               and sample.labels.get("route") == "/v1/results" and sample.labels.get("method") == "GET")


def test_a_finished_image_reads_the_same_every_time_until_it_is_deleted(live_stack, user):
    image_id = user.upload(photo("coffee")).json()["id"]
    first = user.wait_until_finished(image_id)
    reads = results_reads(live_stack)
    again = [user.http.get(f"/api/v1/images/{image_id}").json() for _ in range(3)]
    assert all(image["tags"] == first["tags"] and image["status"] == "done" for image in again)
    # The gateway remembers a finished image's tags (they never change), so it asked results no more (its stack
    # runs one gateway worker, so every read meets the same cache). The monolith has no results service: 0 == 0.
    assert results_reads(live_stack) == reads
    assert user.http.delete(f"/api/v1/images/{image_id}").status_code == 204
    assert user.http.get(f"/api/v1/images/{image_id}").status_code == 404
    assert all(i["id"] != image_id for i in user.http.get("/api/v1/images").json()["items"])


def test_get_right_after_upload_is_never_404(user):
    for _ in range(20):
        image_id = user.upload(solid("yellow")).json()["id"]
        assert user.http.get(f"/api/v1/images/{image_id}").status_code == 200


def test_another_users_image_is_404_on_every_id_route(user, other_user):
    image_id = user.upload(solid()).json()["id"]
    for method, path in [("GET", ""), ("GET", "/content"), ("DELETE", "")]:
        response = other_user.http.request(method, f"/api/v1/images/{image_id}{path}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert user.http.get(f"/api/v1/images/{image_id}").status_code == 200


def test_a_retried_upload_with_the_same_idempotency_key_returns_the_first_response(user):
    first = user.upload(solid("red"), **{"Idempotency-Key": "retry-1"})
    again = user.upload(solid("red"), **{"Idempotency-Key": "retry-1"})
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]


def test_a_filename_with_control_characters_is_stored_without_them(user):
    boundary = "twintag-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tab\tand\x01.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + solid() + f"\r\n--{boundary}--\r\n".encode()
    response = user.http.post("/api/v1/images", content=body,
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 202, response.text
    assert response.json()["filename"] == "taband.jpg"  # as typed by the client, neither escaped nor kept


def test_content_is_upright_without_exif_and_not_sniffable(user):
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.new("RGB", (90, 30), "purple").save(out, "JPEG", exif=exif)
    image_id = user.upload(out.getvalue()).json()["id"]
    served = user.http.get(f"/api/v1/images/{image_id}/content")
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert Image.open(io.BytesIO(served.content)).size == (30, 90)


def test_errors_are_problem_json_with_the_request_id(live_stack):
    response = httpx.get(f"{live_stack.base_url}/api/v1/images", headers={"X-Request-ID": "blackbox-1"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "blackbox-1" == response.headers["x-request-id"]


@pytest.mark.parametrize(("route", "password_length", "status", "code"), [
    ("/api/v1/users", 300, 422, "invalid_input"),
    ("/api/v1/users", 1_000_000, 413, "payload_too_large"),
    ("/api/v1/tokens", 1_000_000, 413, "payload_too_large"),
])
def test_an_overlong_password_gets_the_same_answer_from_both_variants(live_stack, route, password_length, status,
                                                                      code):
    body = {"email": "long@example.com", "password": "x" * password_length}
    response = httpx.post(f"{live_stack.base_url}{route}", json=body, timeout=30.0)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"https://twintag.dev/problems/{code}"


@pytest.mark.parametrize("route", ["/api/v1/users", "/api/v1/tokens"])
def test_json_nested_too_deep_to_parse_is_422_not_500(live_stack, route):
    body = '{"email": ' + "[" * 30_000 + "]" * 30_000 + "}"
    response = httpx.post(f"{live_stack.base_url}{route}", content=body,
                          headers={"Content-Type": "application/json"}, timeout=30.0)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "https://twintag.dev/problems/invalid_input"


@pytest.mark.parametrize(("headers", "path", "status"), [
    ({"X-Long": "a" * 9000}, "/api/v1/users/me", 431),
    ({}, "/api/v1/images?tag=" + "a" * 5000, 414),
])
def test_requests_over_the_servers_limits_are_refused_with_problem_json(live_stack, headers, path, status):
    response = httpx.get(f"{live_stack.base_url}{path}", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and "at most" in problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]


def test_bytes_that_are_not_http_are_refused_with_problem_json(live_stack):
    host, port = httpx.URL(live_stack.base_url).host, httpx.URL(live_stack.base_url).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(b"GET / HTTP/9.9\r\n\r\n")
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 400


@pytest.mark.parametrize("route", ["/api/v1/users", "/api/v1/tokens"])
def test_a_lone_surrogate_escape_is_422_not_500(live_stack, route):
    body = '{"email": "\\ud800@example.com", "password": "correct \\udfff horse"}'
    response = httpx.post(f"{live_stack.base_url}{route}", content=body,
                          headers={"Content-Type": "application/json"}, timeout=30.0)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "body", "message": "valid Unicode text"}]


def test_health_readiness_metrics_and_openapi_are_served(live_stack):
    base = live_stack.base_url
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{base}/readyz").status_code == 200
    assert "twintag_http_request_duration_seconds_bucket" in httpx.get(f"{base}/metrics").text
    queue_owner = live_stack.url_of("monolith" if live_stack.variant == "monolith" else "recognition")
    assert 'twintag_queue_jobs{queue="recognition"' in httpx.get(f"{queue_owner}/metrics").text
    assert httpx.get(f"{base}/api/v1/openapi.json").json()["openapi"].startswith("3.1")


def test_the_web_page_is_served_like_a_cdn_would(live_stack):
    page = httpx.get(f"{live_stack.base_url}/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    again = httpx.get(f"{live_stack.base_url}/", headers={"If-None-Match": page.headers["etag"],
                                                         "Accept-Encoding": "gzip"})
    assert again.status_code == 304
