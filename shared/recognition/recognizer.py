"""The recognizer port: what the product needs from any image-recognition backend."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

MAX_LABEL_LENGTH = 200
MAX_NAME_LENGTH = 100  # of a recognizer's name and of its version
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class TagScore:
    """One label the recognizer attached to an image, with its confidence in [0, 1]."""

    label: str
    confidence: float


@dataclass(frozen=True)
class Recognition:
    """The full answer for one image: its tags (best first) and who produced them."""

    tags: tuple[TagScore, ...]
    recognizer: str
    version: str


def is_label(text: object) -> bool:
    """Tell whether text can be a stored label: 1 to MAX_LABEL_LENGTH characters, no control characters (the
    results service's OpenAPI document states the same pattern)."""
    return isinstance(text, str) and 0 < len(text) <= MAX_LABEL_LENGTH and not _CONTROL.search(text)


def clean_label(text: object) -> str | None:
    """Make a label of what a backend called a concept (control characters out, trimmed, cut to length);
    None when nothing is left."""
    if not isinstance(text, str):
        return None
    label = _CONTROL.sub("", text).strip()[:MAX_LABEL_LENGTH]
    return label or None


class RecognitionFailed(Exception):
    """The recognizer could not handle this image (corrupt data, backend error)."""


class Recognizer(Protocol):
    """Turns the bytes of one image into tags."""

    name: str
    version: str

    def recognize(self, image: bytes) -> Recognition:
        """Return the tags for one image, or raise RecognitionFailed."""
        ...
