"""What the gateway relies on from the results service: tags of the user's images, with the user's own token."""

from __future__ import annotations

import pytest
from pact import Pact, match

from shared.clients.results import ResultsClient
from shared.domain.images import Tag, TagCount
from tests.contracts.consumers.support import (
    IMAGE_ID,
    USER_ID,
    UUID,
    bearer,
    from_state,
    path,
    runtime,
    service_client,
    user_request,
    uuid,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "gateway", "results"
TAGGED = ("the user has a tagged image", {"label": "cat"})
TAG = {"label": match.str("cat"), "confidence": match.number(0.9)}


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_reading_the_tags_of_images(pact, mock_provider):
    (pact.upon_receiving("a request for the tags of the user's images").given(*TAGGED)
     .with_request("GET", "/v1/results").with_header("Authorization", bearer())
     .with_query_parameter("image_ids", from_state(IMAGE_ID, "${image_id}"))
     .will_respond_with(200)
     # items maps each image id (whatever ids the provider made) to that image's tags
     .with_body({"items": match.each_key_matches({IMAGE_ID: match.each_like(TAG)}, rules=match.regex(regex=UUID))},
                "application/json"))
    with mock_provider(pact) as url, service_client("results", url) as results, user_request():
        tags = ResultsClient(results).tags_for(USER_ID, [IMAGE_ID])
    assert tags == {IMAGE_ID: (Tag("cat", 0.9),)}


def test_finding_images_by_tag(pact, mock_provider):
    (pact.upon_receiving("a request for the user's images with a tag").given(*TAGGED)
     .with_request("GET", "/v1/images-by-tag").with_header("Authorization", bearer())
     .with_query_parameter("label", "cat").with_query_parameter("limit", "20")
     .will_respond_with(200).with_body({"image_ids": match.each_like(uuid())}, "application/json"))
    with mock_provider(pact) as url, service_client("results", url) as results, user_request():
        ids = ResultsClient(results).image_ids_with_tag(USER_ID, "cat", limit=20, before=None)
    assert ids == [IMAGE_ID]


def test_counting_tags(pact, mock_provider):
    (pact.upon_receiving("a request for the user's tag counts").given(*TAGGED)
     .with_request("GET", "/v1/tags").with_header("Authorization", bearer())
     .will_respond_with(200)
     .with_body({"items": match.each_like({"label": match.str("cat"), "count": match.int(1)})}, "application/json"))
    with mock_provider(pact) as url, service_client("results", url) as results, user_request():
        counts = ResultsClient(results).tag_counts(USER_ID)
    assert counts == [TagCount("cat", 1)]


def test_forgetting_an_images_result(pact, mock_provider):
    (pact.upon_receiving("a request to forget an image's result").given(*TAGGED)
     .with_request("DELETE", path("/v1/results/{image_id}", image_id=IMAGE_ID))
     .with_header("Authorization", bearer())
     .will_respond_with(204))
    with mock_provider(pact) as url, service_client("results", url) as results, user_request():
        ResultsClient(results).forget(USER_ID, IMAGE_ID)


def test_readiness_asks_for_health(pact, mock_provider):
    pact.upon_receiving("a health check").with_request("GET", "/healthz").will_respond_with(200)
    with mock_provider(pact) as url, runtime("gateway", results_url=url) as gateway:
        gateway.ping("results")()


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
