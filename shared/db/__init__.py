"""Database plumbing shared by both variants: engines and transactions."""

from shared.db.engine import is_sqlite, make_engine
from shared.db.session import transaction

__all__ = ["is_sqlite", "make_engine", "transaction"]
