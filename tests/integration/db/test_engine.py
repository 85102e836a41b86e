"""make_engine and transaction(): SQLite settings that avoid lock errors, unit-of-work basics."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, update

from shared.db import READ_ONLY, is_sqlite, make_engine, transaction

counters = MetaData()
counter = Table(
    "counter", counters, Column("id", Integer, primary_key=True), Column("value", Integer)
)


def test_sqlite_engine_creates_the_directory_and_sets_the_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'app.db'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert is_sqlite(engine)
    assert (tmp_path / "nested" / "dir" / "app.db").exists()
    # synchronous 1 is NORMAL.
    assert pragmas == {
        "journal_mode": "wal", "busy_timeout": 10000, "synchronous": 1, "foreign_keys": 1
    }


def test_concurrent_read_modify_write_transactions_neither_fail_nor_lose_updates(
    tmp_path: Path,
) -> None:
    # Deferred transactions would fail here with "database is locked" when two
    # readers both try to upgrade to writers; BEGIN IMMEDIATE makes them queue.
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    counters.create_all(engine)
    with transaction(engine) as session:
        session.execute(insert(counter).values(id=1, value=0))
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with engine.begin() as conn:
                    value = conn.execute(select(counter.c.value)).scalar_one()
                    conn.execute(update(counter).values(value=value + 1))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        final = conn.execute(select(counter.c.value)).scalar_one()
    engine.dispose()
    assert errors == []
    assert final == 200


def test_read_only_work_reads_while_another_transaction_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    counters.create_all(engine)
    try:
        with engine.begin() as writer:
            writer.execute(insert(counter).values(id=1, value=1))  # uncommitted, lock held
            with engine.connect().execution_options(**READ_ONLY) as reader:
                started = time.monotonic()
                assert reader.execute(select(counter.c.value)).all() == []  # the old snapshot
                assert time.monotonic() - started < 1.0  # did not queue on busy_timeout
    finally:
        engine.dispose()


def test_transaction_commits_on_success_and_rolls_back_on_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    counters.create_all(engine)
    with transaction(engine) as session:
        session.execute(insert(counter).values(id=1, value=1))
    with pytest.raises(ZeroDivisionError), transaction(engine) as session:
        session.execute(insert(counter).values(id=2, value=2))
        _ = 1 / 0
    with engine.connect() as conn:
        ids = conn.execute(select(counter.c.id)).scalars().all()
    engine.dispose()
    assert ids == [1]


@pytest.mark.postgres
def test_postgres_engine_pings_pooled_connections(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()
    assert not is_sqlite(engine)
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
