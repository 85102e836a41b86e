"""The results service over HTTP: the Results port (for the gateway) and the ResultSink port (for recognition)."""

from __future__ import annotations

from urllib.parse import quote

from shared.clients.forwarding import user_authorization
from shared.domain.images import Tag, TagCount
from shared.http.client import ServiceClient
from shared.recognition.recognizer import Recognition

AUDIENCE = "results"


class ResultsClient:
    """Tags and tag queries, asked for with the user's own token."""

    def __init__(self, service: ServiceClient):
        self.service = service

    def tags_for(self, owner_id: str, image_ids: list[str]) -> dict[str, tuple[Tag, ...]]:
        if not image_ids:
            return {}
        body = self._get("/v1/results", params={"image_ids": ",".join(image_ids)}).json()
        return {image_id: tuple(Tag(t["label"], t["confidence"]) for t in tags)
                for image_id, tags in body["items"].items()}

    def image_ids_with_tag(self, owner_id: str, label: str, *, limit: int, before: str | None) -> list[str]:
        params = {"label": label, "limit": limit, **({"before": before} if before else {})}
        return self._get("/v1/images-by-tag", params=params).json()["image_ids"]

    def tag_counts(self, owner_id: str) -> list[TagCount]:
        return [TagCount(t["label"], t["count"]) for t in self._get("/v1/tags").json()["items"]]

    def forget(self, owner_id: str, image_id: str) -> None:
        self.service.call("DELETE", f"/v1/results/{quote(image_id, safe='')}", auth=user_authorization())

    def _get(self, path: str, **kwargs):
        return self.service.call("GET", path, auth=user_authorization(), **kwargs)


class ResultsDeliveryClient:
    """The ResultSink port for the recognition service: PUT by image id, so redelivery is harmless."""

    def __init__(self, service: ServiceClient, authorization):
        self.service, self.authorization = service, authorization

    def record(self, image_id: str, owner_id: str, recognition: Recognition) -> bool:
        body = {"owner_id": owner_id, "recognizer": recognition.recognizer, "version": recognition.version,
                "tags": [{"label": t.label, "confidence": t.confidence} for t in recognition.tags]}
        response = self.service.call("PUT", f"/v1/results/{image_id}", auth=self.authorization(AUDIENCE), json=body)
        return response.status_code == 201

    def withdraw(self, image_id: str) -> None:
        self.service.call("DELETE", f"/v1/recognition/results/{image_id}", auth=self.authorization(AUDIENCE))
