"""Reading a recognition result sent over HTTP (the recognition service's delivery to results)."""

from __future__ import annotations

from shared.domain.errors import InvalidInput
from shared.domain.ids import is_id
from shared.recognition.recognizer import Recognition, TagScore

MAX_TAGS = 50
MAX_TEXT = 200


def recognition_from_json(body: dict) -> tuple[str, Recognition]:
    """Return (owner_id, Recognition) from a delivery body, or raise InvalidInput naming each bad field."""
    errors = []
    owner_id, tags = body.get("owner_id"), body.get("tags")
    if not isinstance(owner_id, str) or not is_id(owner_id):
        errors.append({"field": "owner_id", "message": "must be an id"})
    for name in ("recognizer", "version"):
        if not isinstance(body.get(name), str) or not 0 < len(body[name]) <= MAX_TEXT:
            errors.append({"field": name, "message": f"1 to {MAX_TEXT} characters"})
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(_is_tag(t) for t in tags):
        errors.append({"field": "tags", "message": f"at most {MAX_TAGS} of {{label, confidence in [0, 1]}}"})
    if errors:
        raise InvalidInput("The result is not valid.", errors=errors)
    scores = tuple(TagScore(t["label"], float(t["confidence"])) for t in tags)
    return owner_id, Recognition(scores, body["recognizer"], body["version"])


def _is_tag(tag: object) -> bool:
    return (isinstance(tag, dict) and isinstance(tag.get("label"), str) and 0 < len(tag["label"]) <= MAX_TEXT
            and isinstance(tag.get("confidence"), int | float) and not isinstance(tag["confidence"], bool)
            and 0 <= tag["confidence"] <= 1)
