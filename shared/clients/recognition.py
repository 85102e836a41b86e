"""The recognition service over HTTP: where the uploads service's outbox relay hands over jobs."""

from __future__ import annotations

from shared.http.client import ServiceClient

AUDIENCE = "recognition"


class RecognitionJobsClient:
    """Submits recognition jobs; the recognition service dedupes by image id, so resending is safe."""

    def __init__(self, service: ServiceClient, authorization):
        self.service, self.authorization = service, authorization

    def submit(self, payload: dict) -> None:
        """Hand over one job; returns once the recognition service has stored it (202)."""
        self.service.call("POST", "/v1/jobs", auth=self.authorization(AUDIENCE), idempotent=True, json=payload)
