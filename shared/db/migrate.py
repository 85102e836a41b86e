"""Schema migrations: one Alembic history per table family, run from code (no alembic.ini)."""

from __future__ import annotations

import argparse
import importlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.types import TypeDecorator

from shared.db.engine import make_engine

# Family name -> its declarative base; its script directory is shared/<family>/migrations.
FAMILIES = {
    "users": "shared.users.tables:UsersBase",
    "images": "shared.images.tables:ImagesBase",
    "results": "shared.results.tables:ResultsBase",
    "queue": "shared.queue.tables:QueueBase",
}
# Any fixed number works, as long as every TwinTag process migrating a database uses it.
MIGRATION_LOCK_ID = 0x7477696E  # "twin"
SHARED_DIR = Path(__file__).resolve().parent.parent


def migrate(engine: Engine, families: Iterable[str]) -> None:
    """Upgrade each named family to its head revision, one migrating process at a time."""
    names = list(families)
    unknown = sorted(set(names) - FAMILIES.keys())
    if unknown:
        raise ValueError(f"unknown table families: {unknown}")
    with _exclusive_transaction(engine) as connection:
        for family in names:
            config = family_config(family, connection)
            if _created_without_migrations(connection, family):
                # create_all built exactly the initial revision's schema.
                command.stamp(config, ScriptDirectory.from_config(config).get_base() or "base")
            command.upgrade(config, "head")


def family_config(family: str, connection: Connection | None = None) -> Config:
    """An Alembic Config for one family, built in code; env.py migrates over `connection`."""
    config = Config()
    config.set_main_option("script_location", str(SHARED_DIR / family / "migrations"))
    config.attributes["connection"] = connection
    return config


def family_metadata(family: str) -> MetaData:
    """The MetaData of one family's declarative base."""
    module, _, name = FAMILIES[family].partition(":")
    return getattr(importlib.import_module(module), name).metadata


def version_table(family: str) -> str:
    """The family's own version table, so families sharing a database evolve independently."""
    return f"alembic_version_{family}"


def context_options(family: str, dialect_name: str) -> dict[str, Any]:
    """Options for Alembic's migration context, shared by env.py and the schema tests."""
    return {
        "version_table": version_table(family),
        # SQLite can ALTER little; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
        "render_item": _render_item,
    }


def run_env(family: str) -> None:
    """The body of every family's env.py: migrate over the connection migrate() passed in."""
    from alembic import context  # a proxy that exists only while Alembic runs an env.py

    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or connection is None:
        raise RuntimeError("run migrations through shared.db.migrate, not the alembic CLI")
    context.configure(connection=connection, target_metadata=family_metadata(family),
                      **context_options(family, connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _exclusive_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection
        if sqlite:
            # A batch ALTER drops and recreates the table; with foreign keys on, that
            # DROP would cascade-delete child rows. The pragma only works outside a
            # transaction, and BEGIN IMMEDIATE (make_engine) serializes migrators.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if not sqlite:
                    # Released at commit; gunicorn workers or scaled containers queue here.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("migration left rows that violate a foreign key")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def _created_without_migrations(connection: Connection, family: str) -> bool:
    # Databases made by create_all before migrations existed: tables but no version table.
    existing = set(inspect(connection).get_table_names())
    return version_table(family) not in existing and bool(existing & family_metadata(family).tables.keys())


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    # Revisions are frozen history: render an application type as the SQL type it
    # stands for, so a revision never imports (or breaks with) application code.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def make_revision(family: str, message: str) -> None:
    """Autogenerate a revision: the models compared against a temp SQLite DB at head."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'autogenerate.db'}")
        try:
            migrate(engine, [family])
            with _exclusive_transaction(engine) as connection:
                command.revision(family_config(family, connection), message=message, autogenerate=True)
        finally:
            engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m shared.db.migrate revision FAMILY -m MESSAGE`."""
    parser = argparse.ArgumentParser(prog="python -m shared.db.migrate")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="autogenerate a new revision for one family")
    revision.add_argument("family", choices=sorted(FAMILIES))
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    make_revision(args.family, args.message)


if __name__ == "__main__":
    main()
