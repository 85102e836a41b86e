"""gunicorn settings for the monolith: threaded workers, each also running recognition worker threads."""

import os
import shutil
import tempfile

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


def on_starting(server):
    """Before any worker: a clean metrics directory, then tables, keys and the object store."""
    from monolith.bootstrap import prepare
    from shared.api.observability import configure_logging
    from shared.settings import Settings

    settings = Settings.from_env()
    metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="twintag-metrics-"))
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    configure_logging("monolith", settings.log_level)
    prepare(settings)


def post_worker_init(worker):
    """Start this worker's recognition threads once its app is loaded."""
    from monolith.workers import RecognitionWorkers

    app = worker.wsgi
    monolith = app.extensions["twintag.monolith"]
    workers = RecognitionWorkers(monolith, monolith.settings.recognition_threads)
    workers.start()
    app.extensions["twintag.workers"] = workers


def worker_exit(server, worker):
    """Stop the recognition threads so the current job finishes, and drop this worker's live metrics."""
    workers = getattr(worker, "wsgi", None) and worker.wsgi.extensions.get("twintag.workers")
    if workers:
        workers.stop()
    multiprocess.mark_process_dead(worker.pid)
