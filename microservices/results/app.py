"""The results service's app factory."""

from __future__ import annotations

from flask import Flask

from microservices.results import VERSION
from microservices.results.api import api
from microservices.results.bootstrap import ResultsService, bootstrap
from shared.db.engine import ping
from shared.service.app import base_app
from shared.service.auth import AUTH_EXTENSION
from shared.settings import Settings


def create_app(settings: Settings | None = None, service: ResultsService | None = None) -> Flask:
    """Build the results service's Flask app."""
    settings = settings or Settings.from_env(database_name="results")
    service = service or bootstrap(settings)
    app = base_app("results", VERSION, checks={"database": lambda: ping(service.engine)}, max_upload_bytes=256 * 1024)
    app.extensions["twintag.results"] = service
    app.extensions[AUTH_EXTENSION] = service.runtime.caller_checks()
    app.register_blueprint(api)
    if settings.extra.get("TWINTAG_CONTRACT_TEST_MODE") == "1":  # contract tests only: docs/contracts.md
        __import__("contracts.provider_states").provider_states.register_provider_states(app, service)
    return app
