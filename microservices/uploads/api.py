"""The uploads service's HTTP API: images for their owners, and the recognition service's view of them."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from shared.api.representations import image_json
from shared.domain.errors import ImageGone, InvalidInput
from shared.domain.images import ImageStatus, page_size, status_filter
from shared.service.app import json_body
from shared.service.auth import service_required, user_required

api = Blueprint("uploads_api", __name__)
MAX_IDS = 100


def catalog():
    """The image catalog of this service."""
    return current_app.extensions["twintag.uploads"].catalog


@api.post("/v1/images")
@user_required
def upload() -> tuple[Response, int]:
    """Accept one image; its recognition request goes into the outbox in the same transaction."""
    file = request.files.get("file")
    if file is None:
        raise InvalidInput("Send the image as the multipart field 'file'.",
                           errors=[{"field": "file", "message": "required"}])
    image = catalog().accept(g.user_id, file.read(), file.filename, request.headers.get("Idempotency-Key"))
    return jsonify(image_json(image)), 202


@api.get("/v1/images")
@user_required
def list_images() -> Response:
    """A page of the user's images (newest first, before an id), or the user's images among `ids`."""
    if "ids" in request.args:
        ids = [i for i in request.args["ids"].split(",") if i][:MAX_IDS]
        return jsonify({"items": [image_json(i) for i in catalog().get_many(g.user_id, ids)]})
    images = catalog().list(g.user_id, status=status_filter(request.args.get("status")),
                            limit=page_size(request.args.get("limit")), before=request.args.get("before") or None)
    return jsonify({"items": [image_json(i) for i in images]})


@api.get("/v1/images/<image_id>")
@user_required
def get_image(image_id: str) -> Response:
    """One of the user's images (without tags: those live in the results service)."""
    return jsonify(image_json(catalog().get(g.user_id, image_id)))


@api.get("/v1/images/<image_id>/content")
@user_required
def content(image_id: str) -> Response:
    """The stored bytes of one of the user's images."""
    data, content_type = catalog().content(g.user_id, image_id)
    return Response(data, mimetype=content_type, headers={"X-Content-Type-Options": "nosniff"})


@api.delete("/v1/images/<image_id>")
@user_required
def delete_image(image_id: str) -> tuple[str, int]:
    """Delete one of the user's images."""
    catalog().delete(g.user_id, image_id)
    return "", 204


@api.post("/v1/recognition/images/<image_id>/start")
@service_required("recognition")
def start_recognition(image_id: str) -> Response:
    """Mark an image processing; 404 image_gone if it was deleted (the job then has nothing to do)."""
    image = catalog().mark_processing(image_id)
    if image is None:
        raise ImageGone("The image was deleted.")
    return jsonify({**image_json(image), "owner_id": image.owner_id})


@api.get("/v1/recognition/images/<image_id>/content")
@service_required("recognition")
def recognition_content(image_id: str) -> Response:
    """The bytes to recognize."""
    return Response(catalog().stored_bytes(image_id), mimetype="application/octet-stream")


@api.put("/v1/recognition/images/<image_id>/status")
@service_required("recognition")
def finish_recognition(image_id: str) -> tuple[str, int]:
    """Record the end of recognition: done, or failed with a reason; 404 image_gone if it was deleted meanwhile."""
    body = json_body()
    status = status_filter(str(body.get("status", "")))
    if status not in (ImageStatus.DONE, ImageStatus.FAILED):
        raise InvalidInput("status must be done or failed.", errors=[{"field": "status", "message": "done|failed"}])
    error = body.get("error")
    if not catalog().finish_recognition(image_id, status, error if isinstance(error, str) else None):
        raise ImageGone("The image was deleted.")
    return "", 204

