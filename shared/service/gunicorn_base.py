"""gunicorn settings and hooks shared by every deployable; each one's gunicorn.conf.py imports them."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable

from prometheus_client import multiprocess

from shared.api.health import BACKGROUND
from shared.native_memory import limit_malloc_arenas

# Read in the master before any worker or thread exists, so every worker inherits the cap.
limit_malloc_arenas()

bind = os.environ.get("TWINTAG_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TWINTAG_WEB_WORKERS", "2"))
# gthread, refusing with 503 the requests it cannot serve soon (shared/service/admission.py)
worker_class = "shared.service.gunicorn_worker.AdmissionThreadWorker"
threads = int(os.environ.get("TWINTAG_WEB_THREADS", "8"))
# Requests a worker lets wait for a thread; one more is answered 503 with Retry-After (0: let every request wait).
max_queued_requests = int(os.environ.get("TWINTAG_MAX_QUEUED_REQUESTS", str(4 * threads)))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Each worker touches a heartbeat file on every request: keep it in memory (in a container /tmp is overlayfs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True  # several gunicorns on one host must not share ~/.gunicorn/gunicorn.ctl
# gunicorn's own limits, stated so that the 414 and 431 they cause can name them (gunicorn_worker.py)
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # each request is measured in /metrics and logged by the app with its request id


def start_deployable(service: str, bootstrap: str | None = None) -> None:
    """In the master, before any worker: a clean metrics directory, JSON logs, and the one-time preparation of
    the `bootstrap` module (its prepare(): migrations, keys, folders) for this service's settings."""
    from shared.api.observability import configure_logging

    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:  # twintag up and the images set it; a bare gunicorn may not
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="twintag-metrics-")
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    configure_logging(service, os.environ.get("TWINTAG_LOG_LEVEL", "INFO"))
    if bootstrap is not None:
        in_child_process(lambda: _prepare(bootstrap, service))


def _prepare(bootstrap: str, service: str) -> None:
    from shared.settings import Settings

    importlib.import_module(bootstrap).prepare(Settings.from_env(database_name=service))


def in_child_process(work: Callable[[], None]) -> None:
    """Run work in a forked child and wait for it; raise SystemExit if it fails.

    The master only supervises workers: what preparing imports (SQLAlchemy, Alembic, the service's modules)
    stays out of its memory, about 50 MiB per master (docs/performance.md). A TERM or INT that reaches the
    master meanwhile (gunicorn installs its own handlers only later) is passed to the child, and the master
    then ends as that signal would have ended it: stopping during start-up leaves no process behind.
    """
    pid = os.fork()
    if pid == 0:  # the child: do the work, never return into gunicorn
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # end quietly when the master passes an INT on
        code = 0
        try:
            work()
        except BaseException:  # report anything, then leave without running the parent's exit handlers
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    stopped: list[int] = []

    def pass_on(signum: int, _frame) -> None:
        stopped.append(signum)
        os.kill(pid, signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        _, status = os.waitpid(pid, 0)  # retried after pass_on runs (PEP 475)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopped:
        os.kill(os.getpid(), stopped[0])  # now with the previous handler: end as if we had not been preparing
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"preparing failed (exit status {os.waitstatus_to_exitcode(status)}); see the error above")


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
