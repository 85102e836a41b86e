"""Each provider, running as a real process, honours every consumer's pact in contracts/pacts/.

The latest results are recorded in contracts/verifications/<provider>.json, which `twintag contracts can-i-deploy`
reads (set TWINTAG_RECORD_VERIFICATIONS=0 to leave those files alone).
"""

from __future__ import annotations

import importlib
import os

import pytest

from twintag.contracts import PROVIDERS, pact_files, verify_provider, write_verification

pytestmark = pytest.mark.contracts
RECORD = os.environ.get("TWINTAG_RECORD_VERIFICATIONS", "1") != "0"
# Every consumer -> provider pair of the system (docs/architecture.md): each must be written down as a pact.
PAIRS = {("gateway", "users"), ("gateway", "uploads"), ("gateway", "results"), ("gateway", "recognition"),
         ("uploads", "recognition"), ("uploads", "users"), ("recognition", "uploads"), ("recognition", "results"),
         ("recognition", "users"), ("results", "users")}


def test_every_consumer_provider_pair_has_a_pact():
    assert {(p.consumer, p.provider) for p in pact_files()} == PAIRS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_state_a_pact_asks_for_has_a_handler(provider):
    handlers = importlib.import_module(f"contracts.provider_states.{provider}").STATES
    asked = {(p.consumer, i["description"], s["name"]) for p in pact_files() if p.provider == provider
             for i in p.interactions for s in i.get("providerStates", ())}
    missing = sorted(f"{consumer}: '{description}' needs '{state}'" for consumer, description, state in asked
                     if state not in handlers)
    assert not missing, f"add these states to contracts/provider_states/{provider}.py: {missing}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_provider_honours_every_consumers_pact(provider, tmp_path):
    verification = verify_provider(provider, tmp_path)
    if RECORD:
        write_verification(verification)
    assert verification.pacts, f"no pact names {provider} as its provider"
    assert verification.passed, verification.report()
