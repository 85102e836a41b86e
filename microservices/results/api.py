"""The results service's HTTP API: deliveries from recognition, and tag queries for the image's owner."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from shared.api.representations import tag_counts_json
from shared.domain.errors import InvalidInput
from shared.domain.ids import is_id
from shared.domain.images import page_size
from shared.recognition.recognizer import MAX_LABEL_LENGTH
from shared.results.wire import recognition_from_json
from shared.service.app import json_body
from shared.service.auth import service_required, user_required

api = Blueprint("results_api", __name__)
MAX_IDS = 100


def index():
    """The result index of this service."""
    return current_app.extensions["twintag.results"].index


@api.put("/v1/results/<image_id>")
@service_required("recognition")
def record(image_id: str) -> tuple[Response, int]:
    """Store an image's result: 201 the first time, 200 for a redelivery or a deleted image (nothing changes)."""
    _check_id(image_id)
    owner_id, recognition = recognition_from_json(json_body())
    created = index().record(image_id, owner_id, recognition)
    return jsonify({"image_id": image_id, "created": created}), 201 if created else 200


@api.delete("/v1/recognition/results/<image_id>")
@service_required("recognition")
def withdraw(image_id: str) -> tuple[str, int]:
    """Withdraw the result of an image that recognition found deleted after recording it (idempotent)."""
    index().withdraw(image_id)
    return "", 204


@api.get("/v1/results")
@user_required
def tags_for() -> Response:
    """The tags of the user's images among `image_ids`."""
    ids = [i for i in request.args.get("image_ids", "").split(",") if is_id(i)][:MAX_IDS]
    found = index().tags_for(g.user_id, ids)
    return jsonify({"items": {image_id: [{"label": t.label, "confidence": t.confidence} for t in tags]
                              for image_id, tags in found.items()}})


@api.get("/v1/images-by-tag")
@user_required
def images_by_tag() -> Response:
    """Ids of the user's images with a label, newest first, before an id."""
    label, before = request.args.get("label", ""), request.args.get("before") or None
    if not 0 < len(label) <= MAX_LABEL_LENGTH or (before is not None and not is_id(before)):
        raise InvalidInput(f"label (1-{MAX_LABEL_LENGTH} characters) and an optional before id are needed.",
                           errors=[{"field": "label", "message": f"1 to {MAX_LABEL_LENGTH} characters"}])
    ids = index().image_ids_with_tag(g.user_id, label, limit=page_size(request.args.get("limit")), before=before)
    return jsonify({"image_ids": ids})


@api.get("/v1/tags")
@user_required
def tag_counts() -> Response:
    """The user's labels with counts."""
    return jsonify(tag_counts_json(index().tag_counts(g.user_id)))


@api.delete("/v1/results/<image_id>")
@user_required
def forget(image_id: str) -> tuple[str, int]:
    """Forget the result of one of the user's images, now and if it is delivered later (idempotent)."""
    _check_id(image_id)
    index().forget(g.user_id, image_id)
    return "", 204


def _check_id(image_id: str) -> None:
    if not is_id(image_id):
        raise InvalidInput("image_id must be an id.", errors=[{"field": "image_id", "message": "uuid"}])
