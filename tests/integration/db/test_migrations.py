"""migrate(): per-family Alembic histories yield exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, inspect, select, table, text

import shared.db.migrate as migrate_module
from shared.db.engine import make_engine
from shared.db.migrate import (
    FAMILIES,
    context_options,
    family_config,
    family_metadata,
    migrate,
    version_table,
)

ALL = list(FAMILIES)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def expected_tables(families: list[str]) -> set[str]:
    """The family tables plus one version table per family."""
    return {name for f in families for name in family_metadata(f).tables} | {version_table(f) for f in families}


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine, family: str) -> list[Any]:
    """Alembic's autogenerate diff between the database and the family's models (other families ignored)."""
    own = family_metadata(family).tables.keys()
    options = context_options(family, engine.dialect.name)
    options["include_name"] = lambda name, type_, _parents: type_ != "table" or name in own
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts=options), family_metadata(family))


def versions(engine: Engine, family: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(column("version_num")).select_from(table(version_table(family)))))


def head(family: str) -> str:
    return ScriptDirectory.from_config(family_config(family)).get_current_head() or ""


def test_migrating_an_empty_database_yields_exactly_the_models_schema(engine: Engine) -> None:
    migrate(engine, ALL)
    assert tables(engine) == expected_tables(ALL)
    for family in ALL:
        assert schema_differences(engine, family) == [], family
        assert versions(engine, family) == [head(family)]


def test_migrating_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine, ALL)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO login_failures (key, failures, window_started_at) "
                                "VALUES ('a@example.com', 2, CURRENT_TIMESTAMP)"))
    migrate(engine, ALL)
    assert tables(engine) == expected_tables(ALL)
    assert all(versions(engine, family) == [head(family)] for family in ALL)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT failures FROM login_failures")).scalar_one() == 2


@pytest.mark.parametrize("families", [["users"], ["images", "queue"], ["queue"], ["results"]],
                         ids=["users", "uploads", "recognition", "results"])
def test_a_service_database_gets_only_the_families_it_owns(engine: Engine, families: list[str]) -> None:
    migrate(engine, families)
    assert tables(engine) == expected_tables(families)
    assert all(schema_differences(engine, family) == [] for family in families)


def test_families_sharing_a_database_are_migrated_independently(engine: Engine) -> None:
    migrate(engine, ["queue"])
    migrate(engine, ["users", "queue"])
    assert tables(engine) == expected_tables(["users", "queue"])
    assert versions(engine, "queue") == [head("queue")]


# Tables that later revisions added: a database made by create_all before migrations existed lacks them.
ADDED_AFTER_BASELINE = {"result_tombstones"}


def create_all_at_baseline(engine: Engine, family: str) -> None:
    """What prepare() did before migrations existed: create_all of the models as they were then."""
    metadata = family_metadata(family)
    metadata.create_all(engine, tables=[t for t in metadata.sorted_tables if t.name not in ADDED_AFTER_BASELINE])


def test_databases_created_by_create_all_are_stamped_at_their_baseline(engine: Engine) -> None:
    for family in ALL:
        create_all_at_baseline(engine, family)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO results (image_id, owner_id, recognizer, version, object_key, "
                                "created_at) VALUES ('i1', 'u1', 'r', 'v', 'k', CURRENT_TIMESTAMP)"))
    migrate(engine, ALL)
    assert tables(engine) == expected_tables(ALL)
    for family in ALL:
        assert versions(engine, family) == [head(family)]
        assert schema_differences(engine, family) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT owner_id FROM results")).scalar_one() == "u1"


# A later revision that rebuilds `results`, which result_tags references with ON DELETE CASCADE.
REBUILD_RESULTS = '''"""Add results.note by rebuilding the table (SQLite batch mode)."""
import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "b0000000rebuild", "{base}", None, None


def upgrade() -> None:
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("results", recreate=recreate) as batch:
        batch.add_column(sa.Column("note", sa.String(50), nullable=True))
'''


def test_a_create_all_database_is_stamped_then_upgraded_through_a_table_rebuild(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "shared" / "results" / "migrations"
    shutil.copytree(migrate_module.SHARED_DIR / "results" / "migrations", scripts)
    (scripts / "versions" / "b0000000rebuild_note.py").write_text(REBUILD_RESULTS.format(base=head("results")))
    monkeypatch.setattr(migrate_module, "SHARED_DIR", tmp_path / "shared")
    create_all_at_baseline(engine, "results")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO results (image_id, owner_id, recognizer, version, object_key, "
                                "created_at) VALUES ('i1', 'u1', 'r', 'v', 'k', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO result_tags VALUES ('i1', 'cat', 'u1', 0.9, 1)"))
    migrate(engine, ["results"])
    assert versions(engine, "results") == ["b0000000rebuild"]
    assert "note" in {c["name"] for c in inspect(engine).get_columns("results")}
    with engine.connect() as connection:  # the rebuild's DROP TABLE did not cascade to the tags
        assert connection.execute(text("SELECT label FROM result_tags")).scalar_one() == "cat"


def test_unknown_families_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="billing"):
        migrate(engine, ["users", "billing"])
    assert tables(engine) == set()


def test_sqlite_connections_get_their_foreign_keys_back(tmp_path: Path) -> None:
    # migrate() turns them off for batch ALTERs; the pooled connection must not keep that.
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        migrate(engine, ALL)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def _migrate_together(barrier: Any, url: str) -> None:
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        migrate(engine, ALL)
    finally:
        engine.dispose()


def test_concurrent_migrations_do_not_fail(database_url: str) -> None:
    # Without PostgreSQL's advisory lock the losers fail on duplicate CREATE TABLEs;
    # on SQLite, BEGIN IMMEDIATE makes them queue.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    processes = [context.Process(target=_migrate_together, args=(barrier, database_url)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    engine = make_engine(database_url)
    try:
        assert tables(engine) == expected_tables(ALL)
        assert all(versions(engine, family) == [head(family)] for family in ALL)
    finally:
        engine.dispose()
