"""Alembic script directory of the users table family."""
