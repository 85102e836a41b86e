"""The uploads service over HTTP: the Images port (for the gateway) and the ImageSource port (for recognition)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from shared.clients.forwarding import user_authorization
from shared.domain.errors import ImageGone
from shared.domain.images import MAX_ERROR_LENGTH, Image, ImageStatus, clean_filename
from shared.http.client import ServiceClient

AUDIENCE = "uploads"


def image_from_json(body: dict, owner_id: str) -> Image:
    """Rebuild an Image from the uploads service's JSON."""
    return Image(id=body["id"], owner_id=body.get("owner_id", owner_id), status=ImageStatus(body["status"]),
                 filename=body["filename"], content_type=body["content_type"], width=body["width"],
                 height=body["height"], size_bytes=body["size_bytes"], object_key="",
                 created_at=datetime.fromisoformat(body["created_at"]), error=body.get("error"))


class UploadsClient:
    """Images, asked for with the user's own token (the uploads service checks ownership itself)."""

    def __init__(self, service: ServiceClient):
        self.service = service

    def accept(self, owner_id: str, data: bytes, filename: str | None, idempotency_key: str | None) -> Image:
        """Upload; retried on a lost connection only when an Idempotency-Key makes that safe."""
        # The key is forwarded byte for byte (WSGI decoded it as latin-1); uploads checks it as the monolith does.
        # The name is cleaned first: httpx would percent-escape its control characters, which the monolith drops.
        headers = {"Idempotency-Key": idempotency_key.encode("latin-1")} if idempotency_key else {}
        response = self.service.call("POST", "/v1/images", auth=user_authorization(), headers=headers,
                                     idempotent=bool(idempotency_key),
                                     files={"file": (clean_filename(filename), data, "application/octet-stream")})
        return image_from_json(response.json(), owner_id)

    def get(self, owner_id: str, image_id: str) -> Image:
        return image_from_json(self._get(f"/v1/images/{quote(image_id, safe='')}").json(), owner_id)

    def get_many(self, owner_id: str, image_ids: list[str]) -> list[Image]:
        if not image_ids:
            return []
        body = self._get("/v1/images", params={"ids": ",".join(image_ids)}).json()
        return [image_from_json(item, owner_id) for item in body["items"]]

    def list(self, owner_id: str, *, status: ImageStatus | None, limit: int, before: str | None) -> list[Image]:
        params = {"limit": limit, "status": status.value if status else None, "before": before}
        params = {key: value for key, value in params.items() if value is not None}
        return [image_from_json(item, owner_id) for item in self._get("/v1/images", params=params).json()["items"]]

    def content(self, owner_id: str, image_id: str) -> tuple[bytes, str]:
        response = self._get(f"/v1/images/{quote(image_id, safe='')}/content")
        return response.content, response.headers.get("Content-Type", "application/octet-stream")

    def delete(self, owner_id: str, image_id: str) -> None:
        self.service.call("DELETE", f"/v1/images/{quote(image_id, safe='')}", auth=user_authorization())

    def _get(self, path: str, **kwargs):
        return self.service.call("GET", path, auth=user_authorization(), **kwargs)


class UploadsRecognitionClient:
    """The ImageSource port for the recognition service, called with a service token."""

    def __init__(self, service: ServiceClient, authorization):
        self.service, self.authorization = service, authorization

    def start_recognition(self, image_id: str) -> tuple[Image, bytes] | None:
        """Mark the image processing and fetch its bytes; None if uploads says it was deleted. Missing bytes of an
        image that exists, or a 404 of another kind (a wrong URL), raise: the job is retried, then fails, since
        None lets the caller withdraw the image's result."""
        try:
            body = self._call("POST", f"/v1/recognition/images/{image_id}/start").json()
        except ImageGone:
            return None
        content = self._call("GET", f"/v1/recognition/images/{image_id}/content").content
        return image_from_json(body, body["owner_id"]), content

    def finish_recognition(self, image_id: str, status: ImageStatus, error: str | None = None) -> bool:
        """Record the end of recognition (PUT: safe to retry); False if uploads says the image was deleted."""
        try:
            self._call("PUT", f"/v1/recognition/images/{image_id}/status",
                       json={"status": status.value, "error": error and error[:MAX_ERROR_LENGTH]})
        except ImageGone:
            return False
        return True

    def _call(self, method: str, path: str, **kwargs):
        return self.service.call(method, path, auth=self.authorization(AUDIENCE), idempotent=True, **kwargs)
