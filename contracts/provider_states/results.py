"""The results service's provider states: results recorded through its own index."""

from __future__ import annotations

from contracts.provider_states.keys import TestKeys
from shared.domain.ids import new_id
from shared.recognition.recognizer import Recognition, TagScore
from shared.service.auth import AUTH_EXTENSION


class Context:
    """Tokens come from the test key; results from the service's own index."""

    def __init__(self, app, service):
        self.service, self.keys = service, TestKeys(service.settings)
        app.extensions[AUTH_EXTENSION] = self.keys.caller_checks("results")

    def record(self, owner_id: str, label: str) -> str:
        """Record a result exactly as PUT /v1/results/{id} would; return the image id."""
        image_id = new_id()
        recognition = Recognition((TagScore(label, 0.9), TagScore("orange", 0.4)), "efficientnet-lite0", "1")
        self.service.index.record(image_id, owner_id, recognition)
        return image_id

    def for_recognition(self) -> str:
        return self.keys.service_token("recognition", "results")


def the_user_has_a_tagged_image(context: Context, params: dict) -> dict:
    owner_id = new_id()
    image_id = context.record(owner_id, params.get("label", "cat"))
    return {"user_token": context.keys.user_token(owner_id), "image_id": image_id, "owner_id": owner_id}


def recognition_may_deliver_results(context: Context, params: dict) -> dict:
    return {"service_token": context.for_recognition(), "image_id": new_id(), "owner_id": new_id()}


def a_result_was_already_delivered(context: Context, params: dict) -> dict:
    owner_id = new_id()
    image_id = context.record(owner_id, params.get("label", "cat"))
    return {"service_token": context.for_recognition(), "image_id": image_id, "owner_id": owner_id}


STATES = {
    "the user has a tagged image": the_user_has_a_tagged_image,
    "recognition may deliver results": recognition_may_deliver_results,
    "a result was already delivered": a_result_was_already_delivered,
}
