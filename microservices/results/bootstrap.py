"""Builds the results service's object graph."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.results.index import ResultIndex
from shared.service.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage.objects import LocalObjectStore


@dataclass
class ResultsService:
    """The results service's collaborators."""

    settings: Settings
    engine: Engine
    runtime: ServiceRuntime

    @cached_property
    def index(self) -> ResultIndex:
        return ResultIndex(self.engine, LocalObjectStore(self.settings.object_store_dir))


def bootstrap(settings: Settings) -> ResultsService:
    """Build the service (connections open lazily)."""
    return ResultsService(settings, make_engine(settings.database_url), ServiceRuntime("results", settings))


def prepare(settings: Settings) -> None:
    """Once per deployment start: migrate the results tables and create the object store."""
    service = bootstrap(settings)
    try:
        migrate(service.engine, ["results"])
        LocalObjectStore(settings.object_store_dir).sweep_orphans()  # creates the folder too
    finally:
        service.engine.dispose()
        service.runtime.close()
