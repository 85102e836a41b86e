"""`twintag contracts can-i-deploy SERVICE` answers from the pact files and the recorded verifications alone."""

from __future__ import annotations

import json
import shutil

import pytest

from twintag.cli import main
from twintag.contracts import (
    PACTS_DIR,
    InteractionResult,
    PactVerification,
    Verification,
    interaction_key,
    pact_files,
    service_version,
    source_sha256,
    write_verification,
)

pytestmark = pytest.mark.contracts
PROVIDERS = ("users", "uploads", "recognition", "results")


@pytest.fixture
def broker(tmp_path):
    """A copy of the pact files and an empty verifications folder: the repository playing the broker."""
    pacts, verifications = tmp_path / "pacts", tmp_path / "verifications"
    shutil.copytree(PACTS_DIR, pacts)
    verifications.mkdir()
    return pacts, verifications


def record(broker, provider: str, *, failing: set[tuple[str, str]] = frozenset(), source: str | None = None):
    """Record a verification of `provider` in which the (consumer, description) pairs in `failing` failed."""
    pacts, verifications = broker
    verification = Verification(provider, service_version(provider), source or source_sha256(provider))
    for pact in (p for p in pact_files(pacts) if p.provider == provider):
        results = []
        for interaction in pact.interactions:
            description, states = interaction_key(interaction)
            broken = (pact.consumer, description) in failing
            results.append(InteractionResult(description, states, not broken, ("$ -> missing filename",) * broken))
        verification.pacts.append(PactVerification(pact, results))
    write_verification(verification, verifications)


def can_i_deploy(broker, service: str, capsys) -> tuple[int, str]:
    pacts, verifications = broker
    status = main(["contracts", "can-i-deploy", service, "--pacts-dir", str(pacts),
                   "--verifications-dir", str(verifications)])
    return status, capsys.readouterr().out


def test_yes_when_every_pact_the_service_takes_part_in_is_verified(broker, capsys):
    for provider in PROVIDERS:
        record(broker, provider)
    status, out = can_i_deploy(broker, "uploads", capsys)
    assert status == 0 and "can uploads be deployed? yes" in out
    matrix = {tuple(line.split()[:2]) for line in out.splitlines()[1:] if line.strip()}
    # as provider: its consumers; as consumer: its providers
    assert {("gateway", "uploads"), ("recognition", "uploads"), ("uploads", "recognition"),
            ("uploads", "users")} <= matrix


def test_no_when_a_consumers_interaction_fails_naming_it(broker, capsys):
    for provider in PROVIDERS:
        record(broker, provider, failing={("gateway", "a request for one of the user's images")})
    status, out = can_i_deploy(broker, "uploads", capsys)
    assert status == 1 and "can uploads be deployed? NO (1 of 4 pacts not satisfied)" in out
    row = next(line for line in out.splitlines() if line.startswith("gateway"))
    assert "FAILS 1 of 8: 'a request for one of the user's images': $ -> missing filename" in row
    assert can_i_deploy(broker, "gateway", capsys)[0] == 1  # the consumer cannot ship against it either
    assert can_i_deploy(broker, "results", capsys)[0] == 0  # nobody else is affected


def test_no_when_the_pact_changed_since_the_verification(broker, capsys):
    for provider in PROVIDERS:
        record(broker, provider)
    pact = broker[0] / "recognition-results.json"
    body = json.loads(pact.read_text())
    body["interactions"][0]["description"] += " (changed)"
    pact.write_text(json.dumps(body))
    status, out = can_i_deploy(broker, "results", capsys)
    assert status == 1 and "pact changed since the last verification" in out


def test_no_when_the_providers_code_changed_since_the_verification(broker, capsys):
    for provider in PROVIDERS:
        record(broker, provider, source="0" * 64 if provider == "users" else None)
    status, out = can_i_deploy(broker, "users", capsys)
    assert status == 1 and "verified 1.0.0+000000000000, but the code is now" in out


def test_no_when_never_verified(broker, capsys):
    status, out = can_i_deploy(broker, "recognition", capsys)
    assert status == 1 and "never verified: run `twintag contracts verify" in out
