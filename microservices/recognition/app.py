"""The recognition service's app factory."""

from __future__ import annotations

from flask import Flask

from microservices.recognition import VERSION
from microservices.recognition.api import api
from microservices.recognition.bootstrap import RecognitionService, bootstrap
from shared.db.engine import ping
from shared.queue.metrics import QueueDepthCollector
from shared.service.app import base_app
from shared.service.auth import AUTH_EXTENSION
from shared.settings import Settings


def create_app(settings: Settings | None = None, service: RecognitionService | None = None) -> Flask:
    """Build the recognition service's Flask app."""
    settings = settings or Settings.from_env(database_name="recognition")
    service = service or bootstrap(settings)
    app = base_app("recognition", VERSION, checks={"database": lambda: ping(service.engine)},
                   max_upload_bytes=64 * 1024, collectors=[QueueDepthCollector(service.queue)])
    app.extensions["twintag.recognition"] = service
    app.extensions[AUTH_EXTENSION] = service.runtime.caller_checks()
    app.register_blueprint(api)
    if settings.extra.get("TWINTAG_CONTRACT_TEST_MODE") == "1":  # contract tests only: docs/contracts.md
        __import__("contracts.provider_states").provider_states.register_provider_states(app, service)
    return app
