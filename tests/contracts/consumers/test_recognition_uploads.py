"""What the recognition workers rely on from uploads: start an image, fetch its bytes, report the outcome."""

from __future__ import annotations

import pytest
from pact import Pact, match

from shared.clients.uploads import UploadsRecognitionClient
from shared.domain.images import ImageStatus
from tests.contracts.consumers.support import (
    IMAGE_ID,
    PNG,
    USER_ID,
    bearer,
    fixed_authorization,
    image,
    path,
    problem,
    service_client,
    uuid,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "recognition", "uploads"
SERVICE = bearer("service_token")


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_starting_recognition_marks_the_image_and_fetches_its_bytes(pact, mock_provider):
    (pact.upon_receiving("a request to start recognizing an image").given("an image waits for recognition")
     .with_request("POST", path("/v1/recognition/images/{image_id}/start", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE)
     .will_respond_with(200).with_body(image(owner_id=uuid(USER_ID)), "application/json"))
    (pact.upon_receiving("a request for the bytes of an image to recognize").given("an image waits for recognition")
     .with_request("GET", path("/v1/recognition/images/{image_id}/content", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE)
     .will_respond_with(200).with_binary_body(PNG.read_bytes(), "application/octet-stream")
     .with_matching_rules({"body": {"$": {"combine": "AND",
                                          "matchers": [{"match": "contentType", "value": "image/png"}]}}},
                          part="Response"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads:
        started = UploadsRecognitionClient(uploads, fixed_authorization()).start_recognition(IMAGE_ID)
    assert started is not None
    started_image, content = started
    assert started_image.owner_id == USER_ID and content.startswith(b"\x89PNG")


def test_a_deleted_image_has_nothing_to_recognize(pact, mock_provider):
    (pact.upon_receiving("a request to start recognizing a deleted image").given("an image was deleted")
     .with_request("POST", path("/v1/recognition/images/{image_id}/start", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE)
     .will_respond_with(404).with_body(problem("image_gone"), "application/problem+json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads:
        assert UploadsRecognitionClient(uploads, fixed_authorization()).start_recognition(IMAGE_ID) is None


def test_reporting_that_recognition_is_done(pact, mock_provider):
    (pact.upon_receiving("a report that recognition finished").given("an image is being recognized")
     .with_request("PUT", path("/v1/recognition/images/{image_id}/status", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE).with_body({"status": "done", "error": None}, "application/json")
     .will_respond_with(204))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads:
        assert UploadsRecognitionClient(uploads, fixed_authorization()).finish_recognition(
            IMAGE_ID, ImageStatus.DONE) is True


def test_reporting_the_end_for_an_image_deleted_meanwhile_tells_recognition_it_is_gone(pact, mock_provider):
    (pact.upon_receiving("a report that recognition finished for a deleted image").given("an image was deleted")
     .with_request("PUT", path("/v1/recognition/images/{image_id}/status", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE).with_body({"status": "done", "error": None}, "application/json")
     .will_respond_with(404).with_body(problem("image_gone"), "application/problem+json"))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads:
        assert UploadsRecognitionClient(uploads, fixed_authorization()).finish_recognition(
            IMAGE_ID, ImageStatus.DONE) is False


def test_reporting_that_recognition_failed(pact, mock_provider):
    (pact.upon_receiving("a report that recognition failed").given("an image is being recognized")
     .with_request("PUT", path("/v1/recognition/images/{image_id}/status", image_id=IMAGE_ID))
     .with_header("Authorization", SERVICE)
     .with_body({"status": "failed", "error": match.str("RecognitionFailed: not an image")}, "application/json")
     .will_respond_with(204))
    with mock_provider(pact) as url, service_client("uploads", url) as uploads:
        UploadsRecognitionClient(uploads, fixed_authorization()).finish_recognition(
            IMAGE_ID, ImageStatus.FAILED, "RecognitionFailed: not an image")


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
