"""The public API's views: parse the request, call one use case, shape the answer. No rules live here."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, request

from shared.api import gallery
from shared.api.ports import PublicPorts
from shared.api.representations import (
    image_json,
    tag_counts_json,
    token_json,
    user_json,
)
from shared.domain.errors import InvalidInput
from shared.domain.images import page_size, status_filter
from shared.service.app import json_body
from shared.service.auth import bearer_token

api = Blueprint("public_api", __name__, url_prefix="/api/v1")
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


def ports() -> PublicPorts:
    """Return the ports this app was wired with."""
    return current_app.extensions["twintag.ports"]


def authenticated(view):
    """Require a valid bearer token; the user's id is then in g.user_id."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user_id = ports().user_id_from_token(bearer_token())
        return view(*args, **kwargs)

    return wrapper


@api.post("/users")
def register() -> tuple[Response, int]:
    """Create an account."""
    body = json_body()
    user = ports().accounts.register(body.get("email"), body.get("password"))
    return jsonify(user_json(user)), 201


@api.post("/tokens")
def log_in() -> Response:
    """Exchange email and password for an access token."""
    body = json_body()
    grant = ports().accounts.issue_token(body.get("email"), body.get("password"), request.remote_addr or "-")
    response = jsonify(token_json(grant))
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/users/me")
@authenticated
def me() -> Response:
    """Return the logged-in account."""
    return jsonify(user_json(ports().accounts.get_user(g.user_id)))


@api.post("/images")
@authenticated
def upload() -> tuple[Response, int, dict]:
    """Accept one image for tagging; recognition runs later."""
    file = request.files.get("file")
    if file is None:
        raise InvalidInput("Send the image as the multipart field 'file'.",
                           errors=[{"field": "file", "message": "required"}])
    image = ports().images.accept(g.user_id, file.read(), file.filename, request.headers.get("Idempotency-Key"))
    return jsonify(image_json(image)), 202, {"Location": f"/api/v1/images/{image.id}"}


@api.get("/images")
@authenticated
def list_images() -> Response:
    """Return a page of the user's images, optionally filtered by tag and status."""
    args = request.args
    page, next_cursor = gallery.list_images(
        ports().images, ports().results, g.user_id, tag=args.get("tag") or None,
        status=status_filter(args.get("status")), limit=page_size(args.get("limit")), cursor=args.get("cursor"))
    return jsonify({"items": [image_json(i) for i in page], "next_cursor": next_cursor})


@api.get("/images/<image_id>")
@authenticated
def get_image(image_id: str) -> Response:
    """Return one image with its status and tags."""
    return jsonify(image_json(gallery.image_with_tags(ports().images, ports().results, g.user_id, image_id)))


@api.get("/images/<image_id>/content")
@authenticated
def image_content(image_id: str) -> Response:
    """Return the stored (re-encoded) image bytes."""
    data, content_type = ports().images.content(g.user_id, image_id)
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response


@api.delete("/images/<image_id>")
@authenticated
def delete_image(image_id: str) -> tuple[str, int]:
    """Delete an image and its tags."""
    gallery.delete_image(ports().images, ports().results, g.user_id, image_id)
    return "", 204


@api.get("/tags")
@authenticated
def tags() -> Response:
    """Return the user's tags with how many images carry each."""
    return jsonify(tag_counts_json(ports().results.tag_counts(g.user_id)))


@api.get("/openapi.json")
def openapi() -> Response:
    """Return the public API's OpenAPI document: the product's contract."""
    return jsonify(current_app.extensions["twintag.openapi"])


@api.after_request
def _nosniff(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="twintag"'
    return response
