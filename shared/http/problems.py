"""Turning another service's problem+json answer back into the domain error it stands for."""

from __future__ import annotations

import httpx

from shared.domain import errors

_BY_CODE = {cls.code: cls for cls in (
    errors.InvalidInput, errors.Unauthorized, errors.NotFound, errors.ImageGone, errors.Conflict,
    errors.PayloadTooLarge, errors.UnsupportedImageType, errors.UnprocessableImage, errors.TooManyRequests,
    errors.StorageFull, errors.DependencyUnavailable, errors.DependencyTimeout, errors.BadGateway)}
_BY_STATUS = {401: errors.Unauthorized, 403: errors.Unauthorized, 404: errors.NotFound, 409: errors.Conflict,
              413: errors.PayloadTooLarge, 415: errors.UnsupportedImageType, 422: errors.InvalidInput,
              429: errors.TooManyRequests, 503: errors.DependencyUnavailable, 504: errors.DependencyTimeout,
              507: errors.StorageFull}


MAX_RETRY_AFTER_SECONDS = 300  # a longer wait asked for is taken as this long


def parse_retry_after(value: str | None) -> int | None:
    """Seconds from a Retry-After header given in seconds (the only form TwinTag's services send), capped."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    return min(int(value), MAX_RETRY_AFTER_SECONDS)


def problem_body(response: httpx.Response) -> dict:
    """The answer's problem+json object, or {} when it has none."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def problem_code(body: dict) -> str:
    """The last part of a problem's type: `overloaded` for https://twintag.dev/problems/overloaded."""
    return str(body.get("type", "")).rsplit("/", 1)[-1]


def error_from_response(service: str, response: httpx.Response) -> errors.TwinTagError:
    """Return the domain error for a 4xx/5xx answer; unknown server errors become 502 Bad Gateway."""
    body = problem_body(response)
    cls = _BY_CODE.get(problem_code(body)) or _BY_STATUS.get(response.status_code)
    if cls is None:
        return errors.BadGateway(f"{service} answered {response.status_code}.")
    return cls(str(body.get("detail") or f"{service} answered {response.status_code}."),
               errors=body.get("errors") if isinstance(body.get("errors"), list) else None,
               retry_after=parse_retry_after(response.headers.get("Retry-After")))
