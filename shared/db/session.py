"""The unit of work: one Session, one transaction, commit or roll back as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.db.engine import READ_ONLY


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Yield a Session whose work commits if the block succeeds and rolls back if it raises."""
    # expire_on_commit=False keeps loaded objects readable after the block ends,
    # so callers can return them to a view without a second query.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def reading(engine: Engine) -> Session:
    """A Session for reads only: on SQLite it starts a deferred transaction, so it never waits for writers."""
    return Session(engine.execution_options(**READ_ONLY))
