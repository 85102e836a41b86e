"""Fixtures for the monolith's Flask app on real SQLite files and a real object store in a temp dir."""

from __future__ import annotations

import pytest

from monolith.app import create_app
from monolith.bootstrap import bootstrap, prepare
from shared.settings import settings_in


class AuthActions:
    """Register and log in through the public API, like flaskr's helper."""

    def __init__(self, client):
        self.client = client

    def register(self, email: str = "ada@example.com", password: str = "correct horse"):
        return self.client.post("/api/v1/users", json={"email": email, "password": password})

    def login(self, email: str = "ada@example.com", password: str = "correct horse"):
        return self.client.post("/api/v1/tokens", json={"email": email, "password": password})

    def headers(self, email: str = "ada@example.com", password: str = "correct horse") -> dict:
        """Register (if needed), log in, and return the Authorization header."""
        self.register(email, password)
        token = self.login(email, password).get_json()["access_token"]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def settings(tmp_path):
    """Settings with every file under a fresh temp dir."""
    return settings_in(tmp_path / "data", login_max_failures=3)


@pytest.fixture
def monolith(settings):
    """The monolith's collaborators, with its tables created."""
    prepare(settings)
    built = bootstrap(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def app(settings, monolith):
    """The monolith's Flask app (recognition workers are not started here)."""
    return create_app(settings, monolith)


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def auth(client):
    """Register/login helper."""
    return AuthActions(client)
