"""Login throttling: after a few failures within a window, refuse further tries with 429."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db.types import UTCDateTime, utcnow
from shared.domain.errors import TooManyRequests
from shared.users.tables import LoginFailureRow

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are allowed per key within how many seconds."""

    max_failures: int = 5
    window_seconds: int = 300


class LoginThrottle:
    """Counts failures per key in the database, so every process and replica shares the count."""

    def __init__(self, policy: ThrottlePolicy):
        self.policy = policy

    def check(self, session: Session, keys: list[str]) -> None:
        """Raise TooManyRequests if any key has used up its failures in the current window."""
        now = utcnow()
        for key in keys:
            row = session.get(LoginFailureRow, key)
            if row is None or row.failures < self.policy.max_failures:
                continue
            ends = row.window_started_at + timedelta(seconds=self.policy.window_seconds)
            if ends > now:
                retry = max(1, int((ends - now).total_seconds()) + 1)
                raise TooManyRequests("Too many failed logins; try again later.", retry_after=retry)

    def record_failure(self, session: Session, keys: list[str]) -> None:
        """Count one failure against each key, starting a new window when the old one ended."""
        now = literal(utcnow(), UTCDateTime())
        expired = LoginFailureRow.window_started_at <= literal(
            utcnow() - timedelta(seconds=self.policy.window_seconds), UTCDateTime())
        insert = _INSERTS[session.get_bind().dialect.name]
        for key in keys:
            # One atomic upsert: concurrent failures for the same key neither collide nor get lost.
            statement = insert(LoginFailureRow).values(key=key, failures=1, window_started_at=now)
            session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={
                "failures": case((expired, 1), else_=LoginFailureRow.failures + 1),
                "window_started_at": case((expired, now), else_=LoginFailureRow.window_started_at)}))

    def reset(self, session: Session, key: str) -> None:
        """Forget the failures of a key after a successful login."""
        row = session.get(LoginFailureRow, key)
        if row is not None:
            session.delete(row)
