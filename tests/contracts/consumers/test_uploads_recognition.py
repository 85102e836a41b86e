"""What the uploads service's outbox relay relies on from recognition: a job handed over is accepted (202)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pact import Pact, match

from shared.api.context import accept_request_id, clear_request_id
from shared.clients.recognition import RecognitionJobsClient
from shared.domain.images import Image, ImageStatus
from shared.recognition.pipeline import recognition_payload
from tests.contracts.consumers.support import (
    IMAGE_ID,
    USER_ID,
    bearer,
    fixed_authorization,
    service_client,
    uuid,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "uploads", "recognition"


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_relaying_an_outbox_row_as_a_job(pact, mock_provider):
    (pact.upon_receiving("a recognition job for an uploaded image").given("uploads may submit jobs")
     .with_request("POST", "/v1/jobs").with_header("Authorization", bearer("service_token"))
     .with_body({"image_id": uuid(IMAGE_ID), "owner_id": uuid(USER_ID), "request_id": match.str("upload-1")},
                "application/json")
     .will_respond_with(202))
    uploaded = Image(IMAGE_ID, USER_ID, ImageStatus.PENDING, "cat.png", "image/png", 8, 6, 77, "images/x",
                     datetime(2024, 6, 1, tzinfo=UTC))
    accept_request_id("upload-1")  # the upload's request id, which the outbox row carries
    try:
        payload = recognition_payload(uploaded)  # what the upload wrote into the outbox
    finally:
        clear_request_id()
    with mock_provider(pact) as url, service_client("recognition", url) as recognition:
        RecognitionJobsClient(recognition, fixed_authorization()).submit(payload)


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
