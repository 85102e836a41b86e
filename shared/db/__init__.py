"""Database plumbing shared by both variants: engines and transactions."""

from shared.db.engine import READ_ONLY, is_sqlite, make_engine
from shared.db.session import transaction

__all__ = ["READ_ONLY", "is_sqlite", "make_engine", "transaction"]
