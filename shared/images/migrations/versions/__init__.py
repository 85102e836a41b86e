"""Revisions of the images table family (Alembic loads them by path)."""
