"""Alembic environment of the users table family: shared.db.migrate does the work."""

from __future__ import annotations

from shared.db.migrate import run_env

run_env("users")
