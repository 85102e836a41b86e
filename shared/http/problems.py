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


def error_from_response(service: str, response: httpx.Response) -> errors.TwinTagError:
    """Return the domain error for a 4xx/5xx answer; unknown server errors become 502 Bad Gateway."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = str(body.get("type", "")).rsplit("/", 1)[-1]
    cls = _BY_CODE.get(code) or _BY_STATUS.get(response.status_code)
    if cls is None:
        return errors.BadGateway(f"{service} answered {response.status_code}.")
    retry = response.headers.get("Retry-After")
    return cls(str(body.get("detail") or f"{service} answered {response.status_code}."),
               errors=body.get("errors") if isinstance(body.get("errors"), list) else None,
               retry_after=int(retry) if retry and retry.isdigit() else None)
