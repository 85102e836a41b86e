"""What the gateway relies on from the users service: accounts, logins, the token keys and /healthz."""

from __future__ import annotations

import pytest
from pact import Pact, match

from shared.clients.users import UsersClient
from shared.domain.errors import Conflict, Unauthorized
from tests.contracts.consumers.support import (
    USER_ID,
    bearer,
    from_state,
    problem,
    runtime,
    service_client,
    subject_checked_with_fetched_keys,
    timestamp,
    token_keys_interaction,
    user_request,
    uuid,
)

pytestmark = pytest.mark.contracts
CONSUMER, PROVIDER = "gateway", "users"
CREDENTIALS = {"email": "ada@example.com", "password": "correct horse"}
USER = {"id": uuid(USER_ID), "email": match.str("ada@example.com"), "created_at": timestamp()}


@pytest.fixture
def pact() -> Pact:
    return Pact(CONSUMER, PROVIDER)


def test_registering_an_account(pact, mock_provider):
    (pact.upon_receiving("a request to register an account").given("no account uses the email")
     .with_request("POST", "/v1/users")
     .with_body({"email": from_state("grace@example.com", "${email}"), "password": "correct horse"},
                "application/json")
     .will_respond_with(201).with_body(USER, "application/json"))
    with mock_provider(pact) as url, service_client("users", url) as users:
        user = UsersClient(users).register("grace@example.com", "correct horse")
    assert user.id == USER_ID and user.created_at.year == 2024


def test_registering_a_taken_email_is_a_conflict(pact, mock_provider):
    (pact.upon_receiving("a request to register an email that is taken")
     .given("an account exists", email="taken@example.com", password="correct horse")
     .with_request("POST", "/v1/users")
     .with_body({"email": "taken@example.com", "password": "correct horse"}, "application/json")
     .will_respond_with(409).with_body(problem("conflict"), "application/problem+json"))
    with mock_provider(pact) as url, service_client("users", url) as users, pytest.raises(Conflict):
        UsersClient(users).register("taken@example.com", "correct horse")


def test_logging_in_on_behalf_of_a_client(pact, mock_provider):
    (pact.upon_receiving("a request to log in").given("an account exists", **CREDENTIALS)
     .with_request("POST", "/v1/tokens").with_header("X-TwinTag-Client", match.str("203.0.113.7"))
     .with_body(CREDENTIALS, "application/json")
     .will_respond_with(200)
     .with_body({"access_token": match.str("eyJ.example"), "expires_in": match.int(3600), "token_type": "Bearer"},
                "application/json"))
    with mock_provider(pact) as url, service_client("users", url) as users:
        grant = UsersClient(users).issue_token("ada@example.com", "correct horse", "203.0.113.7")
    assert grant.token_type == "Bearer" and grant.expires_in == 3600


def test_a_wrong_password_is_unauthorized(pact, mock_provider):
    (pact.upon_receiving("a request to log in with a wrong password").given("an account exists", **CREDENTIALS)
     .with_request("POST", "/v1/tokens")
     .with_body({"email": "ada@example.com", "password": "wrong password"}, "application/json")
     .will_respond_with(401).with_body(problem("unauthorized"), "application/problem+json"))
    with mock_provider(pact) as url, service_client("users", url) as users, pytest.raises(Unauthorized):
        UsersClient(users).issue_token("ada@example.com", "wrong password", "203.0.113.7")


def test_reading_the_logged_in_account_with_the_users_token(pact, mock_provider):
    (pact.upon_receiving("a request for the logged-in account").given("an account exists", **CREDENTIALS)
     .with_request("GET", "/v1/users/me").with_header("Authorization", bearer())
     .will_respond_with(200).with_body(USER, "application/json"))
    with mock_provider(pact) as url, service_client("users", url) as users, user_request():
        user = UsersClient(users).get_user(USER_ID)
    assert user.email == "ada@example.com"


def test_checking_user_tokens_with_the_published_keys(pact, mock_provider):
    token_keys_interaction(pact)
    with mock_provider(pact) as url, runtime("gateway", users_url=url) as gateway:
        assert subject_checked_with_fetched_keys(gateway, USER_ID, "twintag") == USER_ID


def test_readiness_asks_for_health(pact, mock_provider):
    pact.upon_receiving("a health check").with_request("GET", "/healthz").will_respond_with(200)
    with mock_provider(pact) as url, runtime("gateway", users_url=url) as gateway:
        gateway.ping("users")()


def test_the_committed_pact_is_up_to_date(pact_recorder, request):
    pact_recorder.check(request, CONSUMER, PROVIDER)
