"""Fixtures for queue tests: one engine per backend, and a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.db import make_engine
from shared.queue import QueueBase


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return a fresh SQLite file URL or PostgreSQL database URL, by the test's param."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}"
    return str(request.getfixturevalue("postgres_url"))


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    return database_url(request, tmp_path)


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    """An engine with the queue's tables created."""
    engine = make_engine(url)
    QueueBase.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock for lease and backoff timing."""
    return FakeClock()
