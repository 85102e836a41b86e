"""Alembic script directory of the images table family."""
