"""Per-request plumbing every process shares: request ids, JSON logs, latency metrics, /metrics."""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.json import JsonFormatter

from shared.api.context import (
    REQUEST_ID_HEADER,
    accept_request_id,
    clear_request_id,
    current_request_id,
)

REQUEST_SECONDS = Histogram(
    "twintag_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


access_log = logging.getLogger("twintag.access")
PROBES = {"/healthz", "/readyz", "/metrics"}


class RequestIdFilter(logging.Filter):
    """Put the current request id on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Log JSON lines to stderr, each with the service name and the request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                       static_fields={"service": service}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # every outbound call is already in /metrics


def instrument(app: Flask, service: str, extra_collectors=()) -> None:
    """Add request ids, access metrics and the /metrics route to an app."""

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        accept_request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        REQUEST_SECONDS.labels(service, request.method, route, str(response.status_code)).observe(elapsed)
        level = logging.DEBUG if route in PROBES else logging.INFO  # health probes every few seconds are noise
        access_log.log(level, "%s %s %s", request.method, request.path, response.status_code,
                        extra={"route": route, "status": response.status_code, "duration_ms": round(1000 * elapsed, 2)})
        return response

    @app.teardown_request
    def _clear(_exc) -> None:
        clear_request_id()

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics of this process (or of all gunicorn workers in multiprocess mode)."""
        registry = _scrape_registry()
        for collector in extra_collectors:
            registry.register(collector)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    return registry


class _ProcessMetrics:
    """Exposes this process's default registry inside a per-scrape registry."""

    def collect(self):
        return REGISTRY.collect()
