"""Images and their tags: the states an uploaded image goes through."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.errors import InvalidInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_FILENAME_LENGTH = 255
MAX_ERROR_LENGTH = 1000  # of the reason a failed image shows


class ImageStatus(enum.StrEnum):
    """Where an image is on its way from upload to tags."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Tag:
    """One label on an image, with the recognizer's confidence in [0, 1]."""

    label: str
    confidence: float


@dataclass(frozen=True)
class Image:
    """An uploaded image as its owner sees it. The stored bytes live in the object store under object_key."""

    id: str
    owner_id: str
    status: ImageStatus
    filename: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    object_key: str
    created_at: datetime
    error: str | None = None
    tags: tuple[Tag, ...] = field(default=())


@dataclass(frozen=True)
class TagCount:
    """How many of a user's images carry one label."""

    label: str
    count: int


def clean_filename(name: str | None) -> str:
    """Return a display-only filename: never used as a storage path, stripped of paths and control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:MAX_FILENAME_LENGTH] or "image"


def page_size(raw: str | None) -> int:
    """Parse the `limit` query parameter."""
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise InvalidInput("limit is out of range.",
                           errors=[{"field": "limit", "message": f"must be an integer from 1 to {MAX_PAGE_SIZE}"}])
    return int(raw)


def status_filter(raw: str | None) -> ImageStatus | None:
    """Parse the `status` query parameter."""
    if raw is None or raw == "":
        return None
    try:
        return ImageStatus(raw)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in ImageStatus)
        problem = [{"field": "status", "message": f"must be one of {allowed}"}]
        raise InvalidInput("Unknown status.", errors=problem) from exc
