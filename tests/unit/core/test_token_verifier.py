"""The token verifier remembers verified tokens, but never past their expiry."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.tokens import TokenIssuer, TokenVerifier, jwks
from shared.domain.errors import Unauthorized


@pytest.fixture
def issuer_and_verifier():
    key = Ed25519PrivateKey.generate()
    issuer = TokenIssuer(key, issuer="twintag", audience="twintag", ttl_seconds=60)
    return issuer, TokenVerifier(jwks([key.public_key()]), issuer="twintag", audience="twintag", leeway=0)


def test_a_verified_token_is_answered_again_without_a_new_signature_check(issuer_and_verifier, monkeypatch):
    issuer, verifier = issuer_and_verifier
    token = issuer.issue("ada").access_token
    assert verifier.subject(token) == "ada"
    monkeypatch.setattr(verifier, "_verify", lambda _token: pytest.fail("verified twice"))
    assert verifier.subject(token) == "ada"


def test_a_remembered_token_is_refused_once_it_expires(issuer_and_verifier):
    issuer, verifier = issuer_and_verifier
    token = issuer.issue("ada", ttl=1, now=time.time()).access_token
    assert verifier.subject(token) == "ada"
    time.sleep(1.1)
    with pytest.raises(Unauthorized):
        verifier.subject(token)


def test_a_token_for_another_audience_is_refused_even_after_a_good_one(issuer_and_verifier):
    issuer, verifier = issuer_and_verifier
    verifier.subject(issuer.issue("ada").access_token)
    with pytest.raises(Unauthorized):
        verifier.subject(issuer.issue("ada", audience="results").access_token)
