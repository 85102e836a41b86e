"""The users service alone: accounts, logins, user tokens, service tokens and its JWKS."""

from __future__ import annotations

import pytest

from shared.auth.tokens import TokenVerifier, key_id, load_or_create_signing_key
from shared.domain.errors import Unauthorized

SECRETS = {"uploads": "uploads-secret", "recognition": "recognition-secret"}
EMAIL, PASSWORD = "ada@example.com", "correct horse"


@pytest.fixture
def users(build_service):
    secrets = ",".join(f"{name}:{secret}" for name, secret in SECRETS.items())
    return build_service("users", service_secrets=secrets, login_max_failures=3)


@pytest.fixture
def client(users):
    return users[0].test_client()


def login(client, email: str = EMAIL, password: str = PASSWORD):
    return client.post("/v1/tokens", json={"email": email, "password": password})


def service_token(client, client_id: str, audience: str, secret: str | None = None):
    secret = SECRETS.get(client_id, "") if secret is None else secret
    return client.post("/v1/service-tokens", json={"client_id": client_id, "client_secret": secret,
                                                   "audience": audience})


def verifier(client, audience: str) -> TokenVerifier:
    """Checks tokens the way another service would: with the keys the users service publishes."""
    return TokenVerifier(client.get("/.well-known/jwks.json").get_json(), issuer="twintag", audience=audience)


def test_register_creates_an_account_and_a_duplicate_is_409(client):
    created = client.post("/v1/users", json={"email": "Ada@Example.com", "password": PASSWORD})
    assert created.status_code == 201 and created.get_json()["email"] == EMAIL
    again = client.post("/v1/users", json={"email": EMAIL, "password": PASSWORD})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


@pytest.mark.parametrize(("body", "fields"), [
    ({"email": "not-an-email", "password": PASSWORD}, {"email"}),
    ({"email": EMAIL, "password": "short"}, {"password"}),
    ({"email": 7, "password": None}, {"email", "password"}),
])
def test_invalid_registrations_are_422_naming_each_field(client, body, fields):
    response = client.post("/v1/users", json=body)
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == fields


def test_a_body_that_is_not_a_json_object_is_422(client):
    assert client.post("/v1/users", data="[]", content_type="application/json").status_code == 422


def test_login_returns_a_user_token_that_me_accepts(client):
    user = client.post("/v1/users", json={"email": EMAIL, "password": PASSWORD}).get_json()
    response = login(client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = response.get_json()["access_token"]
    assert verifier(client, "twintag").subject(token) == user["id"]
    me = client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json() == user


def test_me_without_a_token_is_401(client):
    assert client.get("/v1/users/me").status_code == 401


def test_wrong_password_and_unknown_email_are_the_same_401(client):
    client.post("/v1/users", json={"email": EMAIL, "password": PASSWORD})
    wrong, unknown = login(client, password="wrong password"), login(client, email="bob@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_repeated_failed_logins_are_throttled_with_429_and_retry_after(client):
    client.post("/v1/users", json={"email": EMAIL, "password": PASSWORD})
    assert [login(client, password="wrong password").status_code for _ in range(3)] == [401] * 3
    throttled = login(client)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_a_service_with_its_secret_gets_a_token_for_an_allowed_audience(client):
    response = service_token(client, "uploads", "recognition")
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    assert verifier(client, "recognition").subject(token) == "service:uploads"
    with pytest.raises(Unauthorized):
        verifier(client, "results").subject(token)


def test_a_service_token_is_not_a_user_token(client):
    token = service_token(client, "recognition", "results").get_json()["access_token"]
    assert client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize(("client_id", "audience", "secret"), [
    ("uploads", "recognition", "wrong-secret"),
    ("uploads", "recognition", "recognition-secret"),
    ("uploads", "results", None),
    ("uploads", "users", None),
    ("recognition", "recognition", None),
    ("gateway", "uploads", ""),
    ("intruder", "uploads", "anything"),
])
def test_a_wrong_secret_or_a_call_not_allowed_gets_no_service_token(client, client_id, audience, secret):
    response = service_token(client, client_id, audience, secret)
    assert response.status_code == 401 and "access_token" not in response.get_json()


def test_jwks_publishes_the_signing_key_and_nothing_private(client, users):
    _app, service = users
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    public = load_or_create_signing_key(service.settings.signing_key_path).public_key()
    assert [k["kid"] for k in keys] == [key_id(public)]
    assert keys[0]["alg"] == "EdDSA" and "d" not in keys[0]


def test_a_body_over_the_services_limit_is_413_naming_the_limit(client):
    response = client.post("/v1/users", json={"email": "ada@example.com", "password": "x" * 200_000})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"].endswith("/payload_too_large") and "at most 65536 bytes" in problem["detail"]
