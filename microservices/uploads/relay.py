"""The outbox relay: threads that hand each accepted upload to the recognition service until it is accepted."""

from __future__ import annotations

from flask import Flask

from shared.service.background import BackgroundWorkers

RELAY_THREADS = 1


def outbox_relay(app: Flask) -> BackgroundWorkers:
    """The relay threads of one uploads worker process."""
    service = app.extensions["twintag.uploads"]
    return BackgroundWorkers(service.outbox, service.relay_handler, RELAY_THREADS)
