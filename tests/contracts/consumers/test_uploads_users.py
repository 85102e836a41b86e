"""What the uploads service relies on from users: the keys that check tokens, and its own service tokens."""

from __future__ import annotations

import pytest
from pact import Pact

from tests.contracts.consumers.support import (
    EXAMPLE_SECRET,
    USER_ID,
    runtime,
    service_token_interaction,
    subject_checked_with_fetched_keys,
    token_keys_interaction,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "uploads", "users"


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_checking_user_and_service_tokens_with_the_published_keys(pact, mock_provider):
    token_keys_interaction(pact)
    with mock_provider(pact) as url, runtime("uploads", users_url=url) as uploads:
        assert subject_checked_with_fetched_keys(uploads, USER_ID, "twintag") == USER_ID
        assert subject_checked_with_fetched_keys(uploads, "service:recognition", "uploads") == "service:recognition"


def test_getting_a_token_to_call_recognition(pact, mock_provider):
    service_token_interaction(pact, "uploads", "recognition")
    with mock_provider(pact) as url, runtime("uploads", users_url=url, service_secret=EXAMPLE_SECRET) as uploads:
        assert uploads.outbound_tokens().authorization("recognition") == "Bearer eyJ.example.service"


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
