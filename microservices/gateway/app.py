"""The gateway's app factory: the same public API blueprint and web page as the monolith, over HTTP adapters."""

from __future__ import annotations

import yaml
from flask import Flask, Response, jsonify

from microservices.gateway import VERSION
from microservices.gateway.bootstrap import Gateway, bootstrap
from shared.api.public import OPENAPI_PATH, api
from shared.service.app import base_app
from shared.settings import Settings
from shared.web.edge import create_edge_blueprint


def create_app(settings: Settings | None = None, gateway: Gateway | None = None) -> Flask:
    """Build the gateway's Flask app."""
    settings = settings or Settings.from_env(database_name="gateway")
    gateway = gateway or bootstrap(settings)
    ports = gateway.ports()
    app = base_app("gateway", VERSION, checks=ports.readiness_checks, max_upload_bytes=settings.max_upload_bytes)
    app.extensions["twintag.ports"] = ports
    app.extensions["twintag.gateway"] = gateway
    app.extensions["twintag.openapi"] = yaml.safe_load(OPENAPI_PATH.read_text())
    app.register_blueprint(api)
    app.register_blueprint(create_edge_blueprint())

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        """The users service's public keys, passed through."""
        return jsonify(gateway.runtime.users().jwks())

    return app
