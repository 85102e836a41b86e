"""Alembic environment of the queue table family: shared.db.migrate does the work."""

from __future__ import annotations

from shared.db.migrate import run_env

run_env("queue")
