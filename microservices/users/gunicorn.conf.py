"""gunicorn settings for the users service."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_deployable


def on_starting(server):
    """Migrate and create the signing key once, before any worker starts."""
    start_deployable("users", "microservices.users.bootstrap")
