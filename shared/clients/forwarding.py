"""What a call made on behalf of a user carries along: the user's own token, checked again downstream."""

from __future__ import annotations

from flask import has_request_context, request

from shared.domain.errors import Unauthorized


def user_authorization() -> str:
    """Return the Authorization header of the user request being served (services check it themselves)."""
    if not has_request_context() or not request.headers.get("Authorization"):
        raise Unauthorized("No user token to forward.")
    return request.headers["Authorization"]
