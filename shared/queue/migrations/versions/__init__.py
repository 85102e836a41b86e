"""Revisions of the queue table family (Alembic loads them by path)."""
