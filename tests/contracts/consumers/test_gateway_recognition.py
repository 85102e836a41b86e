"""What the gateway relies on from the recognition service: only that /healthz answers (its /readyz asks)."""

from __future__ import annotations

import pytest
from pact import Pact

from tests.contracts.consumers.support import runtime

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "gateway", "recognition"


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_readiness_asks_for_health(pact, mock_provider):
    pact.upon_receiving("a health check").with_request("GET", "/healthz").will_respond_with(200)
    with mock_provider(pact) as url, runtime("gateway", recognition_url=url) as gateway:
        gateway.ping("recognition")()


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
