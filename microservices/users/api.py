"""The users service's HTTP API (documented in microservices/users/openapi.yaml)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from shared.api.representations import token_json, user_json
from shared.service.app import json_body
from shared.service.auth import user_required

api = Blueprint("users_api", __name__)


def service():
    """The users service's collaborators."""
    return current_app.extensions["twintag.users"]


@api.post("/v1/users")
def register() -> tuple[Response, int]:
    """Create an account."""
    body = json_body()
    return jsonify(user_json(service().accounts.register(body.get("email"), body.get("password")))), 201


@api.post("/v1/tokens")
def issue_token() -> Response:
    """Log in; throttled per email and per end-user address (which the gateway reports)."""
    body = json_body()
    client = request.headers.get("X-TwinTag-Client") or request.remote_addr or "-"
    response = jsonify(token_json(service().accounts.issue_token(body.get("email"), body.get("password"), client)))
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/v1/users/me")
@user_required
def me() -> Response:
    """The account of the token's user."""
    return jsonify(user_json(service().accounts.get_user(g.user_id)))


@api.post("/v1/service-tokens")
def service_token() -> Response:
    """A short-lived token for one service to call another (OAuth2 client credentials, simplified)."""
    body = json_body()
    grant = service().credentials.issue(body.get("client_id"), body.get("client_secret"), body.get("audience"))
    return jsonify(token_json(grant))


@api.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The public keys that verify every TwinTag token."""
    return jsonify(service().public_keys)
