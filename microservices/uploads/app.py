"""The uploads service's app factory."""

from __future__ import annotations

from flask import Flask

from microservices.uploads import VERSION
from microservices.uploads.api import api
from microservices.uploads.bootstrap import UploadsService, bootstrap
from shared.db.engine import ping
from shared.queue.metrics import QueueDepthCollector
from shared.service.app import base_app
from shared.service.auth import AUTH_EXTENSION
from shared.settings import Settings


def create_app(settings: Settings | None = None, service: UploadsService | None = None) -> Flask:
    """Build the uploads service's Flask app."""
    settings = settings or Settings.from_env(database_name="uploads")
    service = service or bootstrap(settings)
    app = base_app("uploads", VERSION, checks={"database": lambda: ping(service.engine)},
                   max_upload_bytes=settings.max_upload_bytes, collectors=[QueueDepthCollector(service.outbox)])
    app.extensions["twintag.uploads"] = service
    app.extensions[AUTH_EXTENSION] = service.runtime.caller_checks()
    app.register_blueprint(api)
    if settings.extra.get("TWINTAG_CONTRACT_TEST_MODE") == "1":  # contract tests only: docs/contracts.md
        __import__("contracts.provider_states").provider_states.register_provider_states(app, service)
    return app
