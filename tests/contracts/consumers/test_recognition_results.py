"""What the recognition workers rely on from results: PUT a result by image id; 201 once, 200 for a redelivery;
DELETE it again when the image turns out to have been deleted during recognition."""

from __future__ import annotations

import pytest
from pact import Pact, match

from shared.clients.results import ResultsDeliveryClient
from shared.recognition.recognizer import Recognition, TagScore
from tests.contracts.consumers.support import (
    IMAGE_ID,
    USER_ID,
    bearer,
    fixed_authorization,
    from_state,
    path,
    service_client,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "recognition", "results"
RESULT = Recognition((TagScore("tabby", 0.82), TagScore("orange", 0.4)), "efficientnet-lite0", "1")
DELIVERY = {"owner_id": from_state(USER_ID, "${owner_id}", r"^[0-9a-f-]{36}$"),
            "recognizer": match.str("efficientnet-lite0"), "version": match.str("1"),
            "tags": match.each_like({"label": match.str("tabby"), "confidence": match.number(0.82)})}


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_the_first_delivery_of_a_result_is_created(pact, mock_provider):
    (pact.upon_receiving("a first delivery of an image's result").given("recognition may deliver results")
     .with_request("PUT", path("/v1/results/{image_id}", image_id=IMAGE_ID))
     .with_header("Authorization", bearer("service_token")).with_body(DELIVERY, "application/json")
     .will_respond_with(201))
    with mock_provider(pact) as url, service_client("results", url) as results:
        assert ResultsDeliveryClient(results, fixed_authorization()).record(IMAGE_ID, USER_ID, RESULT) is True


def test_a_redelivery_changes_nothing(pact, mock_provider):
    (pact.upon_receiving("a redelivery of an image's result").given("a result was already delivered")
     .with_request("PUT", path("/v1/results/{image_id}", image_id=IMAGE_ID))
     .with_header("Authorization", bearer("service_token")).with_body(DELIVERY, "application/json")
     .will_respond_with(200))
    with mock_provider(pact) as url, service_client("results", url) as results:
        assert ResultsDeliveryClient(results, fixed_authorization()).record(IMAGE_ID, USER_ID, RESULT) is False


def test_a_result_is_withdrawn_for_an_image_found_deleted(pact, mock_provider):
    (pact.upon_receiving("a withdrawal of the result of a deleted image").given("a result was already delivered")
     .with_request("DELETE", path("/v1/recognition/results/{image_id}", image_id=IMAGE_ID))
     .with_header("Authorization", bearer("service_token"))
     .will_respond_with(204))
    with mock_provider(pact) as url, service_client("results", url) as results:
        ResultsDeliveryClient(results, fixed_authorization()).withdraw(IMAGE_ID)


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
