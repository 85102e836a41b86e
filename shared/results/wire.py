"""Reading a recognition result sent over HTTP (the recognition service's delivery to results)."""

from __future__ import annotations

from shared.domain.errors import InvalidInput
from shared.domain.ids import is_id
from shared.recognition.recognizer import MAX_NAME_LENGTH, Recognition, TagScore, is_label

MAX_TAGS = 50


def recognition_from_json(body: dict) -> tuple[str, Recognition]:
    """Return (owner_id, Recognition) from a delivery body, or raise InvalidInput naming each bad field."""
    errors = []
    owner_id, tags = body.get("owner_id"), body.get("tags")
    if not isinstance(owner_id, str) or not is_id(owner_id):
        errors.append({"field": "owner_id", "message": "must be an id"})
    for name in ("recognizer", "version"):
        if not isinstance(body.get(name), str) or not 0 < len(body[name]) <= MAX_NAME_LENGTH:
            errors.append({"field": name, "message": f"1 to {MAX_NAME_LENGTH} characters"})
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(_is_tag(t) for t in tags):
        errors.append({"field": "tags",
                       "message": f"at most {MAX_TAGS} of {{label (no control characters), confidence in [0, 1]}}"})
    if errors:
        raise InvalidInput("The result is not valid.", errors=errors)
    scores = tuple(TagScore(t["label"], float(t["confidence"])) for t in tags)
    return owner_id, Recognition(scores, body["recognizer"], body["version"])


def _is_tag(tag: object) -> bool:
    return (isinstance(tag, dict) and is_label(tag.get("label"))
            and isinstance(tag.get("confidence"), int | float) and not isinstance(tag["confidence"], bool)
            and 0 <= tag["confidence"] <= 1)
