"""Alembic environment of the images table family: shared.db.migrate does the work."""

from __future__ import annotations

from shared.db.migrate import run_env

run_env("images")
