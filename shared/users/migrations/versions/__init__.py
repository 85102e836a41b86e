"""Revisions of the users table family (Alembic loads them by path)."""
