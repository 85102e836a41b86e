"""Revisions of the results table family (Alembic loads them by path)."""
