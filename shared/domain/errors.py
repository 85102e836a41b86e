"""Domain errors: each one maps to exactly one HTTP status in the API's error helper."""

from __future__ import annotations


class TwinTagError(Exception):
    """Base of every error the product reports to its users on purpose."""

    status = 400
    title = "Bad Request"
    code = "bad_request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, retry_after: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.retry_after = retry_after


class InvalidInput(TwinTagError):
    """The request is well-formed HTTP but its fields break a rule."""

    status, title, code = 422, "Unprocessable Content", "invalid_input"


class Unauthorized(TwinTagError):
    """No valid credentials: a missing, expired or forged token, or a wrong password."""

    status, title, code = 401, "Unauthorized", "unauthorized"


class NotFound(TwinTagError):
    """Unknown id, or an id that belongs to someone else (never tell the two apart)."""

    status, title, code = 404, "Not Found", "not_found"


class ImageGone(NotFound):
    """The image recognition is working on was deleted meanwhile. A 404 of its own type, so that recognition
    undoes its work only when uploads says so, never for a 404 from a wrong URL or another service."""

    title, code = "Image Gone", "image_gone"


class Conflict(TwinTagError):
    """The request clashes with what exists (an email already registered)."""

    status, title, code = 409, "Conflict", "conflict"


class PayloadTooLarge(TwinTagError):
    """The body is bigger than the configured limit."""

    status, title, code = 413, "Content Too Large", "payload_too_large"


class UnsupportedImageType(TwinTagError):
    """The bytes are not one of the accepted image formats, whatever the name says."""

    status, title, code = 415, "Unsupported Media Type", "unsupported_media_type"


class UnprocessableImage(TwinTagError):
    """The bytes claim an accepted format but cannot be safely decoded (corrupt, bomb)."""

    status, title, code = 422, "Unprocessable Content", "unprocessable_image"


class TooManyRequests(TwinTagError):
    """The caller must slow down; retry_after says for how long."""

    status, title, code = 429, "Too Many Requests", "too_many_requests"


class StorageFull(TwinTagError):
    """The object store has no space left: nothing was written."""

    status, title, code = 507, "Insufficient Storage", "storage_full"


class DependencyUnavailable(TwinTagError):
    """A database or another service cannot answer now; the caller may retry later."""

    status, title, code = 503, "Service Unavailable", "dependency_unavailable"


class Overloaded(TwinTagError):
    """This process already has more requests waiting than it can serve soon; retry_after says when to come back."""

    status, title, code = 503, "Service Unavailable", "overloaded"


class DependencyTimeout(TwinTagError):
    """Another service did not answer within its timeout."""

    status, title, code = 504, "Gateway Timeout", "dependency_timeout"


class BadGateway(TwinTagError):
    """Another service answered with something this one cannot use."""

    status, title, code = 502, "Bad Gateway", "bad_gateway"
