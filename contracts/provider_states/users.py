"""The users service's provider states: accounts made with its own use cases, tokens signed with its own key."""

from __future__ import annotations

from shared.domain.errors import Conflict
from shared.domain.ids import new_id

PASSWORD = "correct horse"


class Context:
    """The users service is the token issuer: no test key, its real key signs every token."""

    def __init__(self, app, service):
        self.app, self.service = app, service


def no_account_uses_the_email(context: Context, params: dict) -> dict:
    """A fresh email, so registering it succeeds however often the pact is verified."""
    return {"email": f"new-{new_id()}@example.com"}


def an_account_exists(context: Context, params: dict) -> dict:
    """Register the account (unless it exists) and log in, as a user would."""
    email, password = params.get("email", "ada@example.com"), params.get("password", PASSWORD)
    accounts = context.service.accounts
    try:
        accounts.register(email, password)
    except Conflict:
        pass
    grant = accounts.issue_token(email, password, "contract-verifier")
    return {"email": email, "user_token": grant.access_token}


def a_service_has_a_secret(context: Context, params: dict) -> dict:
    """The secret this deployment gave the calling service (TWINTAG_SERVICE_SECRETS)."""
    return {"client_secret": context.service.credentials.secrets[params["client_id"]]}


STATES = {
    "no account uses the email": no_account_uses_the_email,
    "an account exists": an_account_exists,
    "the calling service has a secret": a_service_has_a_secret,
}
