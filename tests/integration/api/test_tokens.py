"""Row 17 of RELIABILITY.md: forged, expired and misdirected tokens are all 401."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.tokens import key_id, load_or_create_signing_key


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.fixture
def user_id(auth):
    return auth.register().get_json()["id"]


@pytest.fixture
def signing_key(settings, monolith):
    return load_or_create_signing_key(settings.signing_key_path)


def _claims(user_id: str, **changes) -> dict:
    now = int(time.time())
    claims = {"sub": user_id, "iss": "twintag", "aud": "twintag", "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(key, claims: dict) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id(key.public_key())})


def test_a_correct_token_is_accepted(client, user_id, signing_key):
    token = _signed(signing_key, _claims(user_id))
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("forge", [
    "alg_none", "hs256_with_public_key", "expired", "no_exp", "wrong_aud", "wrong_iss", "other_key",
    "tampered_payload", "garbage",
])
def test_forged_or_invalid_tokens_are_401(client, user_id, signing_key, forge):
    token = _forge(forge, user_id, signing_key)
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_missing_or_non_bearer_authorization_is_401(client):
    assert client.get("/api/v1/images").status_code == 401
    assert client.get("/api/v1/images", headers={"Authorization": "Basic YTpi"}).status_code == 401


def _forge(kind: str, user_id: str, key) -> str:
    kid = key_id(key.public_key())
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(user_id))}."
    if kind == "hs256_with_public_key":
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        header = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
        import hashlib
        import hmac  # noqa: E401 - the attack computes the MAC by hand, as an attacker would
        signing_input = f"{header}.{_b64(_claims(user_id))}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    if kind == "expired":
        return _signed(key, _claims(user_id, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600))
    if kind == "no_exp":
        return _signed(key, _claims(user_id, exp=None))
    if kind == "wrong_aud":
        return _signed(key, _claims(user_id, aud="another-service"))
    if kind == "wrong_iss":
        return _signed(key, _claims(user_id, iss="someone-else"))
    if kind == "other_key":
        other = Ed25519PrivateKey.generate()
        return jwt.encode(_claims(user_id), other, algorithm="EdDSA", headers={"kid": kid})
    if kind == "tampered_payload":
        header, _payload, signature = _signed(key, _claims(user_id)).split(".")
        return f"{header}.{_b64(_claims('someone-else'))}.{signature}"
    return "not.a.token"
