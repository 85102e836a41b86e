"""Health endpoints every process serves: /healthz (alive) and /readyz (dependencies answer)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify

log = logging.getLogger("twintag.health")
# Where a web worker's app keeps its queue threads (shared/service/background.py); /readyz asks them to check().
BACKGROUND = "twintag.background"


def health_blueprint(service: str, version: str, checks: dict[str, Callable[[], None]]) -> Blueprint:
    """Return a blueprint with /healthz and /readyz; each check raises when its dependency is not ready."""
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Response:
        """The process is up and serving."""
        return jsonify({"status": "ok", "service": service, "version": version})

    @blueprint.get("/readyz")
    def readyz() -> tuple[Response, int, dict]:
        """Every dependency answers; otherwise 503 with what failed."""
        failed = {}
        background = current_app.extensions.get(BACKGROUND)  # this worker's queue threads, if it runs any
        for name, check in {**checks, **({"workers": background.check} if background else {})}.items():
            try:
                check()
            except Exception as exc:  # a readiness probe reports every failure, whatever its type
                log.warning("readiness check %s failed: %s", name, exc)
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
        body = {"status": "ok" if not failed else "unavailable", "service": service, "failed": failed}
        return jsonify(body), (503 if failed else 200), ({"Retry-After": "5"} if failed else {})

    return blueprint
