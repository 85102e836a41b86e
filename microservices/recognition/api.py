"""The recognition service's HTTP API: where the uploads service's relay hands over jobs."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from shared.api.context import current_request_id
from shared.db.session import transaction
from shared.domain.errors import InvalidInput
from shared.domain.ids import is_id
from shared.service.app import json_body
from shared.service.auth import service_required

api = Blueprint("recognition_api", __name__)


@api.post("/v1/jobs")
@service_required("uploads")
def submit_job() -> tuple[Response, int]:
    """Store a recognition job (once per image: a resent job is accepted again, not duplicated)."""
    body = json_body()
    image_id, owner_id = body.get("image_id"), body.get("owner_id")
    if not isinstance(image_id, str) or not is_id(image_id) or not isinstance(owner_id, str) or not is_id(owner_id):
        raise InvalidInput("image_id and owner_id must be ids.", errors=[
            {"field": "image_id", "message": "uuid"}, {"field": "owner_id", "message": "uuid"}])
    service = current_app.extensions["twintag.recognition"]
    with transaction(service.engine) as session:
        payload = {"image_id": image_id, "owner_id": owner_id, "request_id": current_request_id()}
        job_id = service.queue.enqueue(session, payload, key=image_id)
    return jsonify({"job_id": job_id, "image_id": image_id}), 202
