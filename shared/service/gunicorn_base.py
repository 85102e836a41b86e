"""gunicorn settings and hooks shared by every deployable; each one's gunicorn.conf.py imports them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable

from prometheus_client import multiprocess

bind = os.environ.get("TWINTAG_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TWINTAG_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("TWINTAG_WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 20
keepalive = 5
control_socket_disable = True  # several gunicorns on one host must not share ~/.gunicorn/gunicorn.ctl
accesslog = None  # each request is measured in /metrics and logged by the app with its request id
BACKGROUND = "twintag.background"


def start_deployable(service: str, prepare: Callable[[], None] | None = None) -> None:
    """In the master, before any worker: a clean metrics directory, JSON logs, one-time preparation."""
    from shared.api.observability import configure_logging

    metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="twintag-metrics-"))
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    configure_logging(service, os.environ.get("TWINTAG_LOG_LEVEL", "INFO"))
    if prepare is not None:
        prepare()


def start_background(worker, build: Callable) -> None:
    """In a worker, once its app is loaded: start its background queue workers, if it has any."""
    background = build(worker.wsgi)
    if background is not None:
        background.start()
        worker.wsgi.extensions[BACKGROUND] = background


def worker_exit(server, worker):
    """Stop background threads so the current job finishes, and drop this worker's live metrics."""
    app = getattr(worker, "wsgi", None)
    background = app.extensions.get(BACKGROUND) if app is not None else None
    if background is not None:
        background.stop()
    multiprocess.mark_process_dead(worker.pid)
