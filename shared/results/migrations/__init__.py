"""Alembic script directory of the results table family."""
