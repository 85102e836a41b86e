"""Registration, login, throttling and tokens through the monolith's API on a real SQLite file."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.users.tables import UserRow


def test_register_returns_the_account_without_secrets(auth):
    response = auth.register("Ada@Example.com ")
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ada@example.com"
    assert set(body) == {"id", "email", "created_at"}


def test_register_twice_is_a_conflict(auth):
    auth.register()
    response = auth.register()
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "not-an-email", "password": "long enough"}, "email"),
    ({"email": "a@b.co", "password": "short"}, "password"),
    ({"email": "a@b.co", "password": 12345678}, "password"),
    ({"email": None, "password": "long enough"}, "email"),
    ({"email": "a@b.co", "password": "x" * 257}, "password"),
])
def test_register_rejects_invalid_fields_with_422(client, body, field):
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]


DEEPLY_NESTED = "[" * 30_000 + "]" * 30_000  # well under the JSON body limit, deeper than Python's stack


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "\"text\"", DEEPLY_NESTED, f'{{"email": {DEEPLY_NESTED}}}'])
def test_a_body_that_is_not_a_json_object_is_422(client, data):
    response = client.post("/api/v1/users", data=data, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["request_id"]


def test_passwords_are_stored_as_argon2id_hashes(auth, monolith):
    auth.register(password="correct horse")
    with Session(monolith.engine) as session:
        stored = session.scalars(select(UserRow.password_hash)).one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_login_returns_a_bearer_token_that_opens_users_me(auth, client):
    auth.register()
    token = auth.login().get_json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == "ada@example.com"


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_wrong_credentials_are_401_whether_or_not_the_email_exists(auth, email):
    auth.register()
    response = auth.login(email, "wrong password")
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Wrong email or password."


def test_repeated_failed_logins_are_throttled_with_429_and_retry_after(auth):
    auth.register()
    statuses = [auth.login(password="wrong password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = auth.login()  # even the right password waits out the window
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_parallel_guesses_get_no_more_tries_than_the_limit(app, auth):
    auth.register()
    start, statuses = threading.Barrier(8), []

    def guess(password: str) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post("/api/v1/tokens", json={"email": "ada@example.com",
                                                             "password": password}).status_code)

    threads = [threading.Thread(target=guess, args=(f"guess number {n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [401] * 3 + [429] * 5  # each password check ran only after its try was counted


def test_a_successful_login_does_not_count_against_its_address(auth):
    auth.register()
    for _ in range(5):  # more logins than the limit of failures, all from the same test client
        assert auth.login().status_code == 200
    assert [auth.login(password="wrong password").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_every_response_carries_a_request_id_and_echoes_a_valid_one(client):
    assert len(client.get("/healthz").headers["X-Request-ID"]) >= 16
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["X-Request-ID"] == "trace-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces!"})
    assert replaced.headers["X-Request-ID"] != "bad id with spaces!"
