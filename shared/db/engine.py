"""Engine factory: one place that knows how TwinTag talks to SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

# How long a SQLite connection waits for the write lock before giving up (ms).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long opening a PostgreSQL connection may take before it fails (s).
PG_CONNECT_TIMEOUT_SECONDS = 5
# Execution options for work that never writes (dashboards, metrics): on SQLite it
# opens a plain deferred transaction and so does not queue for the write lock.
# Writing in such a transaction risks "database is locked"; don't.
READ_ONLY: dict[str, Any] = {"twintag_read_only": True}


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an Engine for a SQLite or PostgreSQL URL with TwinTag's settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    # pre_ping replaces connections the server dropped (restart, failover) instead
    # of handing a dead one to a request; recycle bounds a connection's lifetime.
    # libpq waits forever for a server that accepts TCP but never answers (stopped,
    # overloaded, half-open network): bound it so a request fails over to a 503
    # instead of hanging until gunicorn kills the worker. A URL's own value wins.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
    return create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800,
        connect_args=connect_args,
    )


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # A file database gets a QueuePool; check_same_thread=False lets a pooled
    # connection move between the threads of a threaded gunicorn worker (the pool
    # guarantees that only one thread uses a connection at a time).
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers run while one writer writes; NORMAL sync is durable across
    # application crashes in WAL mode (only an OS crash can lose the last commits).
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: the pragmas below may have to wait
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLAlchemy's documented pysqlite recipe: stop the sqlite3 module from
    # issuing its own (deferred, DML-only) BEGIN so the "begin" hook below decides.
    dbapi_connection.isolation_level = None


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    # Turning a new database file to WAL needs it to itself for a moment, and SQLite reports "database is
    # locked" at once instead of calling the busy handler when several processes open it at the same time
    # (concurrent migrations do). The mode is stored in the file, so this only races on the very first opens.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _on_sqlite_begin(connection: Connection) -> None:
    # Why IMMEDIATE: a deferred transaction starts as a reader and upgrades to a
    # writer at its first write. If another connection committed in between, the
    # upgrade fails at once with "database is locked" (SQLITE_BUSY), and
    # busy_timeout cannot help because waiting would not make the stale snapshot
    # valid. Taking the write lock at BEGIN makes transactions queue up on
    # busy_timeout instead. The cost: transactions are serialized, so they must
    # stay short; work marked READ_ONLY skips the queue (WAL readers never block).
    read_only = connection.get_execution_options().get("twintag_read_only", False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def ping(engine: Engine) -> None:
    """A readiness check: the database answers a trivial query (raises if it does not)."""
    with engine.connect().execution_options(**READ_ONLY) as connection:
        connection.exec_driver_sql("SELECT 1")
