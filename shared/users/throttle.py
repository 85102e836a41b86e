"""Login throttling: after a few failures within a window, refuse further tries with 429."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from shared.db.types import utcnow
from shared.domain.errors import TooManyRequests
from shared.users.tables import LoginFailureRow


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
        now = utcnow()
        for key in keys:
            row = session.get(LoginFailureRow, key)
            if row is None:
                session.add(LoginFailureRow(key=key, failures=1, window_started_at=now))
            elif row.window_started_at + timedelta(seconds=self.policy.window_seconds) <= now:
                row.failures, row.window_started_at = 1, now
            else:
                row.failures += 1

    def reset(self, session: Session, key: str) -> None:
        """Forget the failures of a key after a successful login."""
        row = session.get(LoginFailureRow, key)
        if row is not None:
            session.delete(row)
