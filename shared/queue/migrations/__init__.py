"""Alembic script directory of the queue table family."""
