"""The recognizer port: what the product needs from any image-recognition backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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


class RecognitionFailed(Exception):
    """The recognizer could not handle this image (corrupt data, backend error)."""


class Recognizer(Protocol):
    """Turns the bytes of one image into tags."""

    name: str
    version: str

    def recognize(self, image: bytes) -> Recognition:
        """Return the tags for one image, or raise RecognitionFailed."""
        ...
