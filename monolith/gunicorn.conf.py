"""gunicorn settings for the monolith: threaded web workers, each also running recognition worker threads."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_background, start_deployable


def on_starting(server):
    """Migrate, create the signing key and the object store once, before any worker starts."""
    start_deployable("monolith", "monolith.bootstrap")


def post_worker_init(worker):
    """Start this worker's recognition threads."""
    from monolith.workers import recognition_workers

    start_background(worker, recognition_workers)
