"""Identifiers: time-ordered UUIDs (version 7), so sorting by id sorts by creation time."""

from __future__ import annotations

import os
import re
import time
import uuid

_UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id() -> str:
    """Return a new UUIDv7 as text: 48 bits of milliseconds, then random bits (RFC 9562)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80 | rand & (2**80 - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def is_id(text: str) -> bool:
    """Tell whether text has the shape of an id this product issues (lower-case UUID)."""
    return bool(_UUID_TEXT.fullmatch(text))  # not match(): its $ also matches before a final newline
