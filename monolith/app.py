"""The monolith's app factory: the public API, the web page and the health endpoints in one Flask app."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask, Response, jsonify

from monolith.bootstrap import Monolith, bootstrap
from shared.api.health import health_blueprint
from shared.api.observability import instrument
from shared.api.problems import register_error_handlers
from shared.api.public import api
from shared.queue.metrics import QueueDepthCollector
from shared.settings import Settings
from shared.web.edge import create_edge_blueprint

VERSION = "0.1.0"
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "shared" / "api" / "openapi.yaml"
# Multipart framing around the file: the request may exceed the image limit by this much.
MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings | None = None, monolith: Monolith | None = None) -> Flask:
    """Build the monolith's Flask app from settings (read from the environment when not given)."""
    settings = settings or Settings.from_env()
    monolith = monolith or bootstrap(settings)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_bytes + MULTIPART_OVERHEAD,
                      MAX_FORM_MEMORY_SIZE=64 * 1024, MAX_FORM_PARTS=16)
    app.extensions["twintag.ports"] = monolith.ports()
    app.extensions["twintag.monolith"] = monolith
    app.extensions["twintag.openapi"] = yaml.safe_load(OPENAPI_PATH.read_text())
    register_error_handlers(app)
    instrument(app, "monolith", extra_collectors=[QueueDepthCollector(monolith.queue)])
    app.register_blueprint(api)
    app.register_blueprint(health_blueprint("monolith", VERSION, monolith.ports().readiness_checks))
    app.register_blueprint(create_edge_blueprint())

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        """The public keys that verify this product's access tokens."""
        return jsonify(monolith.public_keys)

    return app
