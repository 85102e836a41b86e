"""The users service's app factory."""

from __future__ import annotations

from flask import Flask

from microservices.users import VERSION
from microservices.users.api import api
from microservices.users.bootstrap import UsersService, bootstrap
from shared.db.engine import ping
from shared.service.app import base_app
from shared.service.auth import AUTH_EXTENSION, CallerChecks
from shared.settings import Settings


def create_app(settings: Settings | None = None, service: UsersService | None = None) -> Flask:
    """Build the users service's Flask app."""
    settings = settings or Settings.from_env(database_name="users")
    service = service or bootstrap(settings)
    app = base_app("users", VERSION, checks={"database": lambda: ping(service.engine)}, max_upload_bytes=64 * 1024)
    app.extensions["twintag.users"] = service
    app.extensions[AUTH_EXTENSION] = CallerChecks(service.user_tokens().subject)
    app.register_blueprint(api)
    if settings.extra.get("TWINTAG_CONTRACT_TEST_MODE") == "1":  # contract tests only: docs/contracts.md
        __import__("contracts.provider_states").provider_states.register_provider_states(app, service)
    return app
