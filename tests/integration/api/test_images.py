"""Uploading, reading, listing and deleting images through the monolith's API (real SQLite, real files)."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.images import phone_photo, solid


def upload(client, headers, data: bytes, name: str = "photo.jpg", **extra):
    """POST one file to the upload endpoint."""
    return client.post("/api/v1/images", headers={**headers, **extra}, data={"file": (io.BytesIO(data), name)})


def test_upload_is_accepted_as_pending_and_readable_at_once(client, auth):
    headers = auth.headers()
    response = upload(client, headers, solid("blue", (80, 60)))
    assert response.status_code == 202
    image = response.get_json()
    assert (image["status"], image["width"], image["height"], image["tags"]) == ("pending", 80, 60, [])
    assert response.headers["Location"] == f"/api/v1/images/{image['id']}"
    assert client.get(f"/api/v1/images/{image['id']}", headers=headers).get_json() == image


def test_a_phone_sized_photo_is_accepted(client, auth):
    big = phone_photo()
    assert len(big) > 2 * 1024 * 1024
    # Encoded here (the test client would spool a body this large to a temporary file it never closes), with a
    # boundary as long as curl's: the parser keeps back up to a boundary's length of each read to find it.
    boundary = b"-" * 24 + b"fd6266e89c0457ed"
    body = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="phone.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + big + b"\r\n--" + boundary + b"--\r\n")
    response = client.post("/api/v1/images", headers=auth.headers(), data=body,
                           content_type="multipart/form-data; boundary=" + boundary.decode())
    assert response.status_code == 202, response.get_json()
    assert (response.get_json()["width"], response.get_json()["height"]) == (4000, 3000)


def test_upload_writes_the_image_row_and_its_recognition_job_together(client, auth, monolith):
    image = upload(client, auth.headers(), solid()).get_json()
    job_keys = [job.key for job in monolith.queue.claim("test", limit=10)]
    assert job_keys == [image["id"]]


def test_content_is_served_with_its_detected_type_and_nosniff(client, auth):
    headers = auth.headers()
    image = upload(client, headers, solid(fmt="PNG"), name="looks.jpg").get_json()
    response = client.get(f"/api/v1/images/{image['id']}/content", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.data)).size == (64, 48)


def test_a_retry_with_the_same_idempotency_key_returns_the_first_image(client, auth):
    headers = auth.headers()
    first = upload(client, headers, solid("red"), **{"Idempotency-Key": "upload-1"}).get_json()
    again = upload(client, headers, solid("green"), **{"Idempotency-Key": "upload-1"})
    assert again.status_code == 202 and again.get_json() == first
    assert len(client.get("/api/v1/images", headers=headers).get_json()["items"]) == 1


def test_listing_is_newest_first_with_a_cursor(client, auth):
    headers = auth.headers()
    ids = [upload(client, headers, solid()).get_json()["id"] for _ in range(5)]
    first = client.get("/api/v1/images?limit=2", headers=headers).get_json()
    second = client.get(f"/api/v1/images?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    third = client.get(f"/api/v1/images?limit=2&cursor={second['next_cursor']}", headers=headers).get_json()
    listed = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert listed == ids[::-1]
    assert third["next_cursor"] is None


def test_listing_filters_by_status(client, auth, monolith):
    headers = auth.headers()
    image = upload(client, headers, solid()).get_json()
    assert [i["id"] for i in client.get("/api/v1/images?status=pending", headers=headers).get_json()["items"]] \
        == [image["id"]]
    assert client.get("/api/v1/images?status=done", headers=headers).get_json()["items"] == []


def test_delete_removes_the_image_and_its_bytes(client, auth, settings):
    headers = auth.headers()
    image = upload(client, headers, solid()).get_json()
    assert client.delete(f"/api/v1/images/{image['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/images/{image['id']}", headers=headers).status_code == 404
    assert not (settings.object_store_dir / "images" / image["id"]).exists()


def test_bad_query_parameters_are_422_not_500(client, auth):
    headers = auth.headers()
    for query in ("limit=0", "limit=101", "limit=abc", "status=weird", "cursor=nonsense", "tag=" + "x" * 201):
        response = client.get(f"/api/v1/images?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"


def test_upload_without_a_file_field_is_422(client, auth):
    response = client.post("/api/v1/images", headers=auth.headers(), data={"other": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "file"
