"""Builds the recognition service's object graph: its job queue and the handler's HTTP adapters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from shared.clients.results import ResultsDeliveryClient
from shared.clients.uploads import UploadsRecognitionClient
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.queue.queue import JobQueue
from shared.recognition.pipeline import RecognitionHandler
from shared.service.runtime import ServiceRuntime
from shared.settings import Settings

QUEUE = "recognition"


@dataclass
class RecognitionService:
    """The recognition service's collaborators."""

    settings: Settings
    engine: Engine
    runtime: ServiceRuntime

    @cached_property
    def queue(self) -> JobQueue:
        return JobQueue(self.engine, QUEUE, max_attempts=self.settings.recognition_max_attempts,
                        lease_seconds=self.settings.recognition_lease_seconds)

    def recognition_handler(self) -> RecognitionHandler:
        """The job handler: images from uploads, results to results, both over HTTP with service tokens."""
        from shared.recognition.factory import build_recognizer  # onnxruntime loads only where recognition runs

        tokens = self.runtime.outbound_tokens().authorization
        recognizer = build_recognizer(self.settings.recognizer, cache_dir=self.settings.model_cache_dir,
                                      clarifai_url=self.settings.clarifai_url or None,
                                      clarifai_api_key=self.settings.clarifai_api_key or None)
        return RecognitionHandler(UploadsRecognitionClient(self.runtime.client("uploads"), tokens),
                                  ResultsDeliveryClient(self.runtime.client("results"), tokens), recognizer,
                                  max_attempts=self.settings.recognition_max_attempts)


def bootstrap(settings: Settings) -> RecognitionService:
    """Build the service (connections open lazily)."""
    return RecognitionService(settings, make_engine(settings.database_url), ServiceRuntime("recognition", settings))


def prepare(settings: Settings) -> None:
    """Once per deployment start: migrate the job table."""
    service = bootstrap(settings)
    try:
        migrate(service.engine, ["queue"])
    finally:
        service.engine.dispose()
        service.runtime.close()
