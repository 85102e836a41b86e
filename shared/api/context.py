"""The request id: accepted from X-Request-ID or generated, kept for logs and outbound calls."""

from __future__ import annotations

import contextvars
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def accept_request_id(incoming: str | None) -> str:
    """Use the caller's request id if it is well-formed, else make one; remember it for this context."""
    request_id = incoming if incoming and _VALID.fullmatch(incoming) else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


def current_request_id() -> str | None:
    """Return the request id of the request being served, if any."""
    return _request_id.get()


def clear_request_id() -> None:
    """Forget the request id once the request is done (threads are reused)."""
    _request_id.set(None)
