"""What the gateway relies on from the uploads service: the user's images, with the user's own token."""

from __future__ import annotations

import pytest
from pact import Pact, match

from shared.clients.uploads import UploadsClient
from shared.domain.errors import NotFound
from shared.domain.images import ImageStatus
from tests.contracts.consumers.support import (
    IMAGE_ID,
    MULTIPART_BOUNDARY,
    PNG,
    USER_ID,
    bearer,
    from_state,
    image,
    multipart_file,
    path,
    problem,
    runtime,
    service_client,
    user_request,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "gateway", "uploads"
ONE_IMAGE = path("/v1/images/{image_id}", image_id=IMAGE_ID)


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_uploading_an_image_with_an_idempotency_key(pact, mock_provider):
    body = multipart_file("file", "cat.png", PNG.read_bytes(), "application/octet-stream")
    (pact.upon_receiving("an upload with an idempotency key").given("a user has a token")
     .with_request("POST", "/v1/images").with_header("Authorization", bearer())
     .with_header("Idempotency-Key", match.str("upload-1"))
     .with_header("Content-Type", match.regex(f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
                                              regex=r"^multipart/form-data;\s*boundary=.+$"))
     .with_binary_body(body, f"multipart/form-data; boundary={MULTIPART_BOUNDARY}")
     # the part must hold a PNG; the boundary and the exact bytes are the HTTP client's business
     .with_matching_rules({"body": {"$.file": {"combine": "AND",
                                               "matchers": [{"match": "contentType", "value": "image/png"}]}}},
                          part="Request")
     .will_respond_with(202).with_body(image(), "application/json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        accepted = UploadsClient(uploads).accept(USER_ID, PNG.read_bytes(), "cat.png", "upload-1")
    assert accepted.id == IMAGE_ID and accepted.status is ImageStatus.PENDING


def test_reading_one_image(pact, mock_provider):
    (pact.upon_receiving("a request for one of the user's images").given("the user has an image")
     .with_request("GET", ONE_IMAGE).with_header("Authorization", bearer())
     .will_respond_with(200).with_body(image(), "application/json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        found = UploadsClient(uploads).get(USER_ID, IMAGE_ID)
    assert found.filename == "cat.png" and found.owner_id == USER_ID


def test_an_unknown_image_is_not_found(pact, mock_provider):
    (pact.upon_receiving("a request for an image that does not exist").given("a user has a token")
     .with_request("GET", f"/v1/images/{IMAGE_ID}").with_header("Authorization", bearer())
     .will_respond_with(404).with_body(problem("not_found"), "application/problem+json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        with pytest.raises(NotFound):
            UploadsClient(uploads).get(USER_ID, IMAGE_ID)


def test_reading_several_images_by_id(pact, mock_provider):
    (pact.upon_receiving("a request for several of the user's images by id").given("the user has an image")
     .with_request("GET", "/v1/images").with_header("Authorization", bearer())
     .with_query_parameter("ids", from_state(IMAGE_ID, "${image_id}"))
     .will_respond_with(200).with_body({"items": match.each_like(image())}, "application/json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        found = UploadsClient(uploads).get_many(USER_ID, [IMAGE_ID])
    assert [i.id for i in found] == [IMAGE_ID]


def test_listing_a_page_of_images_by_status(pact, mock_provider):
    (pact.upon_receiving("a request for a page of the user's pending images").given("the user has an image")
     .with_request("GET", "/v1/images").with_header("Authorization", bearer())
     .with_query_parameter("limit", "20").with_query_parameter("status", "pending")
     .will_respond_with(200).with_body({"items": match.each_like(image())}, "application/json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        page = UploadsClient(uploads).list(USER_ID, status=ImageStatus.PENDING, limit=20, before=None)
    assert page[0].status is ImageStatus.PENDING


def test_reading_an_images_bytes(pact, mock_provider):
    (pact.upon_receiving("a request for an image's bytes").given("the user has an image")
     .with_request("GET", path("/v1/images/{image_id}/content", image_id=IMAGE_ID))
     .with_header("Authorization", bearer())
     .will_respond_with(200).with_binary_body(PNG.read_bytes(), "image/png")
     .with_matching_rules({"body": {"$": {"combine": "AND",
                                          "matchers": [{"match": "contentType", "value": "image/png"}]}}},
                          part="Response"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        data, content_type = UploadsClient(uploads).content(USER_ID, IMAGE_ID)
    assert data.startswith(b"\x89PNG") and content_type == "image/png"


def test_deleting_an_image(pact, mock_provider):
    (pact.upon_receiving("a request to delete one of the user's images").given("the user has an image")
     .with_request("DELETE", ONE_IMAGE).with_header("Authorization", bearer())
     .will_respond_with(204))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads, user_request():
        UploadsClient(uploads).delete(USER_ID, IMAGE_ID)


def test_readiness_asks_for_health(pact, mock_provider):
    pact.upon_receiving("a health check").with_request("GET", "/healthz").will_respond_with(200)
    with mock_provider(pact) as url, runtime("gateway", uploads_url=url) as gateway:
        gateway.ping("uploads")()


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
