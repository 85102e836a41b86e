"""Builds the uploads service's object graph: the catalog, its outbox, and the relay to recognition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from shared.clients.recognition import RecognitionJobsClient
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.images.catalog import ImageCatalog, UploadLimits
from shared.images.triggers import QueuedRecognitionTrigger, RecognitionRelay
from shared.queue.backoff import Backoff
from shared.queue.queue import JobQueue
from shared.service.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage.objects import LocalObjectStore

OUTBOX = "recognition-outbox"
# While recognition is unreachable, unavailable (503), or refuses our credentials, the relay postpones rows
# without counting attempts; any other error answer counts one (shared/images/triggers.py).
OUTBOX_MAX_ATTEMPTS = 10


@dataclass
class UploadsService:
    """The uploads service's collaborators."""

    settings: Settings
    engine: Engine
    runtime: ServiceRuntime

    @cached_property
    def store(self) -> LocalObjectStore:
        return LocalObjectStore(self.settings.object_store_dir)

    @cached_property
    def outbox(self) -> JobQueue:
        return JobQueue(self.engine, OUTBOX, max_attempts=OUTBOX_MAX_ATTEMPTS, lease_seconds=30,
                        backoff=Backoff(base=0.5, cap=10.0))

    @cached_property
    def catalog(self) -> ImageCatalog:
        limits = UploadLimits(self.settings.max_upload_bytes, self.settings.max_pixels)
        return ImageCatalog(self.engine, self.store, QueuedRecognitionTrigger(self.outbox), limits)

    def relay_handler(self) -> RecognitionRelay:
        """Delivers one outbox row to the recognition service (which dedupes by image id)."""
        jobs = RecognitionJobsClient(self.runtime.client("recognition"), self.runtime.outbound_tokens().authorization)
        return RecognitionRelay(jobs.submit, self.catalog, max_attempts=self.outbox.max_attempts)


def bootstrap(settings: Settings) -> UploadsService:
    """Build the service (connections open lazily)."""
    return UploadsService(settings, make_engine(settings.database_url), ServiceRuntime("uploads", settings))


def prepare(settings: Settings) -> None:
    """Once per deployment start: migrate the images and queue tables, create the object store."""
    service = bootstrap(settings)
    try:
        migrate(service.engine, ["images", "queue"])
        service.store.sweep_orphans()
    finally:
        service.engine.dispose()
        service.runtime.close()
