"""The base Flask app of every deployable (the monolith and each service); each adds only its own routes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from shared.api.health import health_blueprint
from shared.api.observability import instrument
from shared.api.problems import problem, register_error_handlers
from shared.domain.errors import InvalidInput, PayloadTooLarge
from shared.service.admission import refuse_when_overloaded

# Multipart framing around an uploaded file: a request may exceed the image limit by this much.
MULTIPART_OVERHEAD = 64 * 1024
# The in-memory limit of a form's text parts. Werkzeug also checks it against its parser's buffer, file parts
# included: a 64 KiB read plus the few bytes kept back to find the boundary. At 64 KiB, any upload longer than
# one read was refused with 413 whenever a read ended near a line break, so it must stay well above that.
MAX_FORM_MEMORY = 512 * 1024
# The most a JSON request body may hold, in every deployable and so in both variants alike. The largest valid one
# (an account's email and password, or a recognition's tags) is a few KiB.
MAX_JSON_BODY = 64 * 1024


def base_app(name: str, version: str, *, checks: dict[str, Callable[[], None]], max_upload_bytes: int,
             collectors: Iterable = ()) -> Flask:
    """A Flask app with problem+json errors, request ids, JSON-logged metrics, /healthz, /readyz, /metrics."""
    app = Flask(name, static_folder=None)  # no implicit /static route: the edge serves assets
    app.config.update(MAX_CONTENT_LENGTH=max_upload_bytes + MULTIPART_OVERHEAD,
                      MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY, MAX_FORM_PARTS=16)
    register_error_handlers(app)
    too_large = f"The request body is too large: at most {max_upload_bytes} bytes of content are accepted here."

    @app.errorhandler(RequestEntityTooLarge)  # Werkzeug's limits above, which would only say "capacity limit"
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        return problem(413, PayloadTooLarge.title, too_large, code=PayloadTooLarge.code)

    instrument(app, name, extra_collectors=list(collectors))
    refuse_when_overloaded(app, name)  # after the request id is taken, before any route's own work
    app.register_blueprint(health_blueprint(name, version, checks))
    return app


def json_body() -> dict:
    """Return the request's JSON object, or raise PayloadTooLarge or InvalidInput."""
    if (request.content_length or 0) > MAX_JSON_BODY or len(request.get_data(cache=True)) > MAX_JSON_BODY:
        raise PayloadTooLarge(f"The JSON body is too large: at most {MAX_JSON_BODY} bytes are accepted.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser's stack, which silent=True does not catch
        body = None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.", errors=[{"field": "body", "message": "JSON object"}])
    try:  # JSON's \ud800-style escapes can spell lone surrogates, which no UTF-8 text (hash, database) can hold
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise InvalidInput("The body holds a \\u escape that is not a Unicode character (a lone surrogate).",
                           errors=[{"field": "body", "message": "valid Unicode text"}]) from None
    return body
