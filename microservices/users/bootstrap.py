"""Builds the users service's object graph from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from shared.auth.passwords import Passwords
from shared.auth.service_auth import ServiceCredentials, parse_secrets
from shared.auth.tokens import TokenIssuer, TokenVerifier, jwks, load_or_create_signing_key
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.settings import Settings
from shared.users.accounts import UserAccounts
from shared.users.throttle import LoginThrottle, ThrottlePolicy


@dataclass
class UsersService:
    """The users service's collaborators."""

    settings: Settings
    engine: Engine

    @cached_property
    def issuer(self) -> TokenIssuer:
        key = load_or_create_signing_key(self.settings.signing_key_path)
        return TokenIssuer(key, issuer=self.settings.token_issuer, audience=self.settings.token_audience,
                           ttl_seconds=self.settings.token_ttl_seconds)

    @cached_property
    def accounts(self) -> UserAccounts:
        policy = ThrottlePolicy(self.settings.login_max_failures, self.settings.login_window_seconds)
        return UserAccounts(self.engine, Passwords(), self.issuer, LoginThrottle(policy))

    @cached_property
    def credentials(self) -> ServiceCredentials:
        return ServiceCredentials(parse_secrets(self.settings.service_secrets), self.issuer)

    @cached_property
    def public_keys(self) -> dict:
        return jwks([load_or_create_signing_key(self.settings.signing_key_path).public_key()])

    def user_tokens(self) -> TokenVerifier:
        """The users service is the issuer: it checks user tokens with its own key, no HTTP needed."""
        return TokenVerifier(self.public_keys, issuer=self.settings.token_issuer,
                             audience=self.settings.token_audience)


def bootstrap(settings: Settings) -> UsersService:
    """Build the service (connections open lazily)."""
    return UsersService(settings, make_engine(settings.database_url))


def prepare(settings: Settings) -> None:
    """Once per deployment start: migrate the users tables and create the signing key."""
    service = bootstrap(settings)
    try:
        migrate(service.engine, ["users"])
        load_or_create_signing_key(settings.signing_key_path)
    finally:
        service.engine.dispose()
