"""gunicorn settings for the results service."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_deployable


def on_starting(server):
    """Migrate the results tables once, before any worker starts."""
    start_deployable("results", "microservices.results.bootstrap")
