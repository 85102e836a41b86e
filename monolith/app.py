"""The monolith's app factory: the public API, the web page and the health endpoints in one Flask app."""

from __future__ import annotations

import yaml
from flask import Flask, Response, jsonify

from monolith.bootstrap import Monolith, bootstrap
from shared.api.public import OPENAPI_PATH, api
from shared.queue.metrics import QueueDepthCollector
from shared.service.app import base_app
from shared.settings import Settings
from shared.web.edge import create_edge_blueprint

VERSION = "0.1.0"


def create_app(settings: Settings | None = None, monolith: Monolith | None = None) -> Flask:
    """Build the monolith's Flask app from settings (read from the environment when not given)."""
    settings = settings or Settings.from_env()
    monolith = monolith or bootstrap(settings)
    ports = monolith.ports()
    app = base_app("monolith", VERSION, checks=ports.readiness_checks, max_upload_bytes=settings.max_upload_bytes,
                   collectors=[QueueDepthCollector(monolith.queue)])
    app.extensions["twintag.ports"] = ports
    app.extensions["twintag.monolith"] = monolith
    app.extensions["twintag.openapi"] = yaml.safe_load(OPENAPI_PATH.read_text())
    app.register_blueprint(api)
    app.register_blueprint(create_edge_blueprint())

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        """The public keys that verify this product's access tokens."""
        return jsonify(monolith.public_keys)

    return app
