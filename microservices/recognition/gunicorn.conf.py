"""gunicorn settings for the recognition service: each web worker also runs recognition worker threads."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_background, start_deployable


def on_starting(server):
    """Migrate the job table once, before any worker starts."""
    start_deployable("recognition", "microservices.recognition.bootstrap")


def post_worker_init(worker):
    """Start this worker's recognition threads."""
    from microservices.recognition.workers import recognition_workers

    start_background(worker, recognition_workers)
