"""gunicorn settings for the uploads service: web workers, each also running the outbox relay."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_background, start_deployable


def on_starting(server):
    """Migrate and create the object store once, before any worker starts."""
    start_deployable("uploads", "microservices.uploads.bootstrap")


def post_worker_init(worker):
    """Start this worker's outbox relay."""
    from microservices.uploads.relay import outbox_relay

    start_background(worker, outbox_relay)
