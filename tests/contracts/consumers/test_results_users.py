"""What the results service relies on from users: the keys that check user and service tokens."""

from __future__ import annotations

import pytest
from pact import Pact

from tests.contracts.consumers.support import (
    USER_ID,
    runtime,
    subject_checked_with_fetched_keys,
    token_keys_interaction,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "results", "users"


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_checking_user_and_service_tokens_with_the_published_keys(pact, mock_provider):
    token_keys_interaction(pact)
    with mock_provider(pact) as url, runtime("results", users_url=url) as results:
        assert subject_checked_with_fetched_keys(results, USER_ID, "twintag") == USER_ID
        assert subject_checked_with_fetched_keys(results, "service:recognition", "results") == "service:recognition"


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
