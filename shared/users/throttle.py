"""Login throttling: after a few failures within a window, refuse further tries with 429."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
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

    def attempt(self, session: Session, keys: list[str]) -> None:
        """Count a login attempt against each key before its password is checked; raise TooManyRequests if a key
        had already used up its tries in the current window (the caller's transaction then rolls the count back).

        Counting first, with one atomic upsert per key that holds the key's row until the caller commits, means
        that parallel guesses queue on the count, rather than all passing a check made before any of them failed.
        A login that then succeeds gives its attempt back (succeeded)."""
        now = utcnow()
        for key in keys:
            failures, window_started_at = self._count(session, key, now)
            if failures > self.policy.max_failures:
                ends = window_started_at + timedelta(seconds=self.policy.window_seconds)
                retry = max(1, int((ends - now).total_seconds()) + 1)
                raise TooManyRequests("Too many failed logins; try again later.", retry_after=retry)

    def succeeded(self, session: Session, account_key: str, other_keys: list[str]) -> None:
        """A login succeeded: forget its account's failures, and take back the attempt counted against the others
        (a client address's count is of failures, not of logins)."""
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == account_key))
        session.execute(update(LoginFailureRow).where(LoginFailureRow.key.in_(other_keys), LoginFailureRow.failures > 0)
                        .values(failures=LoginFailureRow.failures - 1))

    def _count(self, session: Session, key: str, now: datetime) -> tuple[int, datetime]:
        """Add one to the key's count, starting a new window when the old one ended; return the count and window."""
        stamp = literal(now, UTCDateTime())
        expired = LoginFailureRow.window_started_at <= literal(now - timedelta(seconds=self.policy.window_seconds),
                                                               UTCDateTime())
        insert = _INSERTS[session.get_bind().dialect.name]
        statement = insert(LoginFailureRow).values(key=key, failures=1, window_started_at=now)
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={
            "failures": case((expired, 1), else_=LoginFailureRow.failures + 1),
            "window_started_at": case((expired, stamp), else_=LoginFailureRow.window_started_at)})
        return session.execute(statement.returning(LoginFailureRow.failures,
                                                   LoginFailureRow.window_started_at)).one()
