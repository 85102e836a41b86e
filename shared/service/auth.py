"""Every service checks its caller itself: a user's token, or another service's token for this service."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, g, request

from shared.auth.service_auth import calling_service
from shared.domain.errors import Unauthorized

AUTH_EXTENSION = "twintag.caller_checks"


class CallerChecks:
    """The two verifiers of a service: for user tokens (audience twintag) and for service tokens (its own name)."""

    def __init__(self, user_subject: Callable[[str], str], service_subject: Callable[[str], str] | None = None):
        self.user_subject, self.service_subject = user_subject, service_subject


def bearer_token() -> str:
    """Return the request's bearer token, or raise Unauthorized."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    return token.strip()


def _checks() -> CallerChecks:
    return current_app.extensions[AUTH_EXTENSION]


def user_required(view):
    """Require a user's token; the user's id is then g.user_id."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user_id = _checks().user_subject(bearer_token())
        return view(*args, **kwargs)

    return wrapper


def service_required(*callers: str):
    """Require a token issued to one of these services for this service; its name is then g.caller."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            checks = _checks()
            if checks.service_subject is None:
                raise Unauthorized("This service accepts no service tokens.")
            g.caller = calling_service(checks.service_subject(bearer_token()), frozenset(callers))
            return view(*args, **kwargs)

        return wrapper

    return decorate
