"""The recognition workers: threads in each recognition worker process, sharing the service's job queue."""

from __future__ import annotations

from flask import Flask

from shared.service.background import BackgroundWorkers


def recognition_workers(app: Flask) -> BackgroundWorkers:
    """The recognition threads of one recognition worker process."""
    service = app.extensions["twintag.recognition"]
    return BackgroundWorkers(service.queue, service.recognition_handler, service.settings.recognition_threads)
