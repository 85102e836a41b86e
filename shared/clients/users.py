"""The users service over HTTP: the Accounts port of the public API, JWKS and service tokens."""

from __future__ import annotations

from datetime import datetime

from shared.auth.tokens import TokenGrant
from shared.clients.forwarding import user_authorization
from shared.domain.users import User
from shared.http.client import ServiceClient


def user_from_json(body: dict) -> User:
    """Rebuild a User from its JSON representation."""
    return User(id=body["id"], email=body["email"], created_at=datetime.fromisoformat(body["created_at"]))


class UsersClient:
    """Accounts, JWKS and service tokens from the users service."""

    def __init__(self, service: ServiceClient):
        self.service = service

    def register(self, email: object, password: object) -> User:
        """Create an account (not retried: registering is not idempotent)."""
        return user_from_json(self.service.call("POST", "/v1/users", json={"email": email, "password": password})
                              .json())

    def issue_token(self, email: object, password: object, client: str) -> TokenGrant:
        """Log in on behalf of the client address the gateway saw."""
        body = self.service.call("POST", "/v1/tokens", json={"email": email, "password": password},
                                 headers={"X-TwinTag-Client": client}).json()
        return TokenGrant(body["access_token"], body["expires_in"], body["token_type"])

    def get_user(self, user_id: str) -> User:
        """The logged-in user's account, asked for with the user's own token."""
        return user_from_json(self.service.call("GET", "/v1/users/me", auth=user_authorization()).json())

    def jwks(self) -> dict:
        """The public keys that verify tokens."""
        return self.service.call("GET", "/.well-known/jwks.json").json()

    def service_token(self, client_id: str, secret: str, audience: str) -> dict:
        """A short-lived token for a service to call another (client credentials)."""
        return self.service.call("POST", "/v1/service-tokens", idempotent=True, json={
            "client_id": client_id, "client_secret": secret, "audience": audience}).json()

