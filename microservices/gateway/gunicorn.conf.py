"""gunicorn settings for the gateway."""

from shared.service.gunicorn_base import *  # noqa: F403 - the shared settings and worker_exit hook
from shared.service.gunicorn_base import start_deployable


def on_starting(server):
    """A clean metrics directory and JSON logs; the gateway has nothing to migrate."""
    start_deployable("gateway")
