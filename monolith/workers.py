"""The monolith's recognition workers: threads inside each web worker process, fed by its own job queue."""

from __future__ import annotations

from flask import Flask

from shared.service.background import BackgroundWorkers


def recognition_workers(app: Flask) -> BackgroundWorkers:
    """The recognition threads of one monolith worker process."""
    monolith = app.extensions["twintag.monolith"]
    return BackgroundWorkers(monolith.queue, monolith.recognition_handler, monolith.settings.recognition_threads)
