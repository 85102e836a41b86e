"""The uploads service's provider states: images accepted, started and deleted through its own catalog."""

from __future__ import annotations

from pathlib import Path

from contracts.provider_states.keys import TestKeys
from shared.domain.ids import new_id
from shared.service.auth import AUTH_EXTENSION

IMAGE = Path(__file__).resolve().parent.parent / "fixtures" / "cat.png"


class Context:
    """Tokens come from the test key; images from the service's own catalog."""

    def __init__(self, app, service):
        self.service, self.keys = service, TestKeys(service.settings)
        app.extensions[AUTH_EXTENSION] = self.keys.caller_checks("uploads")

    def upload(self, owner_id: str, filename: str = "cat.png"):
        """Accept an image exactly as POST /v1/images would (which also writes its outbox row)."""
        return self.service.catalog.accept(owner_id, IMAGE.read_bytes(), filename, None)

    def for_recognition(self) -> str:
        return self.keys.service_token("recognition", "uploads")


def a_user_has_a_token(context: Context, params: dict) -> dict:
    return {"user_token": context.keys.user_token(new_id())}


def the_user_has_an_image(context: Context, params: dict) -> dict:
    owner_id = new_id()
    image = context.upload(owner_id, params.get("filename", "cat.png"))
    return {"user_token": context.keys.user_token(owner_id), "image_id": image.id, "owner_id": owner_id}


def an_image_waits_for_recognition(context: Context, params: dict) -> dict:
    owner_id = new_id()
    image = context.upload(owner_id)
    return {"service_token": context.for_recognition(), "image_id": image.id, "owner_id": owner_id}


def an_image_is_being_recognized(context: Context, params: dict) -> dict:
    values = an_image_waits_for_recognition(context, params)
    context.service.catalog.mark_processing(values["image_id"])
    return values


def an_image_was_deleted(context: Context, params: dict) -> dict:
    owner_id = new_id()
    image = context.upload(owner_id)
    context.service.catalog.delete(owner_id, image.id)
    return {"service_token": context.for_recognition(), "image_id": image.id, "owner_id": owner_id}


STATES = {
    "a user has a token": a_user_has_a_token,
    "the user has an image": the_user_has_an_image,
    "an image waits for recognition": an_image_waits_for_recognition,
    "an image is being recognized": an_image_is_being_recognized,
    "an image was deleted": an_image_was_deleted,
}
