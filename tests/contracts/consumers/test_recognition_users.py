"""What the recognition service relies on from users: the token keys, and tokens to call uploads and results."""

from __future__ import annotations

import pytest
from pact import Pact

from tests.contracts.consumers.support import (
    EXAMPLE_SECRET,
    runtime,
    service_token_interaction,
    subject_checked_with_fetched_keys,
    token_keys_interaction,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "recognition", "users"


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_checking_service_tokens_with_the_published_keys(pact, mock_provider):
    token_keys_interaction(pact)
    with mock_provider(pact) as url, runtime("recognition", users_url=url) as recognition:
        assert subject_checked_with_fetched_keys(recognition, "service:uploads", "recognition") == "service:uploads"


def test_getting_tokens_to_call_uploads_and_results(pact, mock_provider):
    service_token_interaction(pact, "recognition", "uploads")
    service_token_interaction(pact, "recognition", "results")
    with mock_provider(pact) as url, runtime("recognition", users_url=url, service_secret=EXAMPLE_SECRET) as service:
        tokens = service.outbound_tokens()
        assert tokens.authorization("uploads") == tokens.authorization("results") == "Bearer eyJ.example.service"


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
