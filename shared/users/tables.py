"""The users context's tables (owned by the users service, or the monolith)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.types import UTCDateTime


class UsersBase(DeclarativeBase):
    """Metadata of the users context only."""


class UserRow(UsersBase):
    """One account."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailureRow(UsersBase):
    """Recent failed logins for one key (an email or a client address), for throttling across processes."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
