"""The one error helper: every error leaves as application/problem+json with the request id."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from shared.api.context import current_request_id
from shared.domain.errors import DependencyUnavailable, TwinTagError

log = logging.getLogger("twintag.errors")
PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, *, code: str | None = None,
            errors: list[dict] | None = None, retry_after: int | None = None) -> Response:
    """Build a problem+json response (RFC 9457)."""
    response = jsonify(problem_document(status, title, detail, code=code, errors=errors))
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def problem_document(status: int, title: str, detail: str | None = None, *, code: str | None = None,
                     errors: list[dict] | None = None) -> dict:
    """The body of a problem+json response, with the current request id."""
    body = {"type": f"https://twintag.dev/problems/{code}" if code else "about:blank", "title": title,
            "status": status, "request_id": current_request_id()}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return body


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, HTTP errors and unexpected failures to problem responses."""

    @app.errorhandler(TwinTagError)
    def _domain(error: TwinTagError) -> Response:
        retry = error.retry_after
        if retry is None and error.status in (502, 503, 504, 507):
            retry = 5  # a dependency or the disk: worth trying again shortly
        return problem(error.status, error.title, error.detail, code=error.code, errors=error.errors,
                       retry_after=retry)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        response = problem(error.code or 500, error.name, error.description)
        if error.code == 405 and error.response is None:
            response.headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if _is_database_outage(error):
            log.warning("database unavailable: %s", error)
            return _domain(DependencyUnavailable("The database is not reachable; try again shortly."))
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "Something went wrong on our side; quote the request id.")


def _is_database_outage(error: Exception) -> bool:
    """Tell a lost or refused database connection apart from a bug: the first is a 503, not a 500."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    # SQLAlchemy wraps a driver error in the class of its DB-API category, so this also catches the
    # driver's subclasses: psycopg's ConnectionTimeout, CannotConnectNow ("starting up"), AdminShutdown...
    # An exhausted connection pool is an overload, not a bug: also a 503.
    return isinstance(error, (OperationalError, InterfaceError, PoolTimeout)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
