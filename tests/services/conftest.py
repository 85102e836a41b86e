"""Component tests: one service's real app on its own SQLite file; the other services are not running."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from shared.auth.service_auth import SERVICE_SUBJECT_PREFIX
from shared.auth.tokens import TokenIssuer, TokenVerifier, jwks
from shared.domain.ids import new_id
from shared.service.auth import AUTH_EXTENSION, CallerChecks
from shared.settings import settings_in
from tests.support.loopback import LoopbackServer


class Keys:
    """A signing key standing in for the users service's: it signs test tokens and checks them."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.issuer = TokenIssuer(self.key, issuer="twintag", audience="twintag", ttl_seconds=600)
        self.key_set = jwks([self.key.public_key()])

    def user(self, user_id: str) -> dict:
        """Headers carrying a user's token (audience twintag)."""
        return self.bearer(self.issuer.issue(user_id).access_token)

    def service(self, caller: str, audience: str) -> dict:
        """Headers carrying a token issued to `caller` for calling `audience`."""
        return self.bearer(self.issuer.issue(SERVICE_SUBJECT_PREFIX + caller, audience=audience).access_token)

    def checks(self, service: str) -> CallerChecks:
        """The caller checks a service would build from the users service's JWKS."""
        users = TokenVerifier(self.key_set, issuer="twintag", audience="twintag")
        services = TokenVerifier(self.key_set, issuer="twintag", audience=service)
        return CallerChecks(users.subject, services.subject)

    @staticmethod
    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def user_id() -> str:
    return new_id()


@pytest.fixture
def other_user_id() -> str:
    return new_id()


@pytest.fixture
def build_service(tmp_path, keys):
    """Build `name`'s app as its deployment would (prepare, bootstrap, create_app), checking tokens with `keys`."""
    built = []

    def build(name: str, **changes) -> tuple[Flask, object]:
        bootstrap = importlib.import_module(f"microservices.{name}.bootstrap")
        create_app = importlib.import_module(f"microservices.{name}.app").create_app
        settings = settings_in(tmp_path / name, database_name=name, **changes)
        bootstrap.prepare(settings)
        service = bootstrap.bootstrap(settings)
        built.append(service)
        app = create_app(settings, service)
        if name != "users":  # the users service checks tokens with its own key, no HTTP
            app.extensions[AUTH_EXTENSION] = keys.checks(name)
        return app, service

    yield build
    for service in built:
        service.engine.dispose()
        if hasattr(service, "runtime"):
            service.runtime.close()


@pytest.fixture
def serve() -> Iterator:
    """Start loopback servers; all are shut down after the test."""
    servers: list[LoopbackServer] = []

    def start(app, port: int = 0) -> LoopbackServer:
        servers.append(LoopbackServer(app, port))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
