"""JobQueue: a durable, at-least-once job queue kept in a SQL table."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db.engine import READ_ONLY
from shared.queue import statements
from shared.queue.backoff import Backoff
from shared.queue.jobs import DeadJob, Job, Outcome
from shared.queue.tables import JobRow, Status

# Dialect-specific INSERT, for ON CONFLICT DO NOTHING (both backends support it).
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_MAX_ERROR_CHARS = 2000


class JobQueue:
    """One named queue in the jobs table; safe to share between threads and processes."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        max_attempts: int = 5,
        lease_seconds: float = 60.0,
        backoff: Backoff = Backoff(base=0.5, cap=60.0, jitter=True),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine, self.name = engine, name
        self.max_attempts, self.lease_seconds = max_attempts, lease_seconds
        self.backoff, self.clock = backoff, clock

    def enqueue(
        self, session: Session, payload: dict[str, Any], *, key: str | None = None, delay: float = 0
    ) -> int:
        """Add a job in the caller's transaction; an already-used key returns the existing job."""
        now = self.clock()
        insert = _INSERTS[self.engine.dialect.name](JobRow).values(
            queue=self.name, key=key, payload=payload, status=Status.READY, attempts=0,
            run_after=now + max(delay, 0.0), created_at=now, updated_at=now,
        )
        # DO NOTHING rather than catching IntegrityError: on PostgreSQL an error
        # would abort the caller's whole transaction, not just this statement.
        stmt = insert.on_conflict_do_nothing(index_elements=["queue", "key"]).returning(JobRow.id)
        job_id = session.execute(stmt).scalar_one_or_none()
        if job_id is None:
            existing = select(JobRow.id).where(JobRow.queue == self.name, JobRow.key == key)
            job_id = session.execute(existing).scalar_one()
        return job_id

    def claim(self, worker_id: str, *, limit: int = 1) -> list[Job]:
        """Lease up to `limit` claimable jobs (due, or with an expired lease) in one transaction."""
        now = self.clock()
        with self.engine.begin() as conn:
            stmt = statements.claimable(skip_locked=self.engine.dialect.name == "postgresql")
            rows = conn.execute(stmt, {"queue": self.name, "now": now, "limit": limit}).all()
            return [job for row in rows if (job := self._take(conn, row, worker_id, now))]

    def complete(self, job: Job, session: Session | None = None) -> bool:
        """Mark the job done, in the caller's transaction if given; False means the lease was lost."""
        if session is not None:
            return self._done(session.connection(), job)
        with self.engine.begin() as conn:
            return self._done(conn, job)

    def fail(self, job: Job, reason: str) -> Outcome:
        """Record a failure: schedule a retry with backoff, or bury the job as dead."""
        now = self.clock()
        values: dict[str, Any] = {"last_error": reason[:_MAX_ERROR_CHARS], "updated_at": now}
        if job.attempts >= self.max_attempts:
            outcome, values = Outcome.DEAD, values | {"status": Status.DEAD, "finished_at": now}
        else:
            outcome = Outcome.RETRY
            values |= {"status": Status.READY, "run_after": now + self.backoff(job.attempts)}
        with self.engine.begin() as conn:
            changed = self._cas(
                conn, job.id, Status.LEASED, job.lease_token,
                lease_token=None, locked_until=None, **values,
            )
        return outcome if changed else Outcome.LOST

    def postpone(self, job: Job, delay: float, reason: str) -> Outcome:
        """Give the job back for a later try without counting this attempt (a dependency was down)."""
        now = self.clock()
        with self.engine.begin() as conn:
            changed = self._cas(
                conn, job.id, Status.LEASED, job.lease_token, status=Status.READY, lease_token=None,
                locked_until=None, attempts=job.attempts - 1, run_after=now + max(delay, 0.0),
                last_error=reason[:_MAX_ERROR_CHARS], updated_at=now,
            )
        return Outcome.POSTPONED if changed else Outcome.LOST

    def extend(self, job: Job, seconds: float | None = None) -> bool:
        """Push the lease deadline forward (a heartbeat); False if the lease was lost."""
        now = self.clock()
        until = now + (self.lease_seconds if seconds is None else seconds)
        with self.engine.begin() as conn:
            return self._cas(
                conn, job.id, Status.LEASED, job.lease_token, locked_until=until, updated_at=now
            )

    def counts(self) -> dict[str, int]:
        """Return the number of jobs in each status (queue depth for metrics)."""
        stmt = (
            select(JobRow.status, func.count())
            .where(JobRow.queue == self.name)
            .group_by(JobRow.status)
        )
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            found = {status: count for status, count in conn.execute(stmt)}
        return {status.value: found.get(status.value, 0) for status in Status}

    def dead_jobs(self, limit: int = 100) -> list[DeadJob]:
        """List dead letters, most recent first."""
        stmt = (
            select(JobRow.id, JobRow.key, JobRow.payload, JobRow.attempts,
                   JobRow.last_error, JobRow.finished_at)
            .where(JobRow.queue == self.name, JobRow.status == Status.DEAD)
            .order_by(JobRow.finished_at.desc(), JobRow.id.desc())
            .limit(limit)
        )
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            return [DeadJob(*row) for row in conn.execute(stmt)]

    def requeue_dead(self, job_id: int) -> bool:
        """Give a dead job a fresh set of attempts; False if it is not dead."""
        now = self.clock()
        with self.engine.begin() as conn:
            return self._cas(
                conn, job_id, Status.DEAD, None, status=Status.READY, attempts=0,
                run_after=now, finished_at=None, updated_at=now, check_token=False,
            )

    def bury(self, job: Job, reason: str) -> Outcome:
        """Make a job past its attempts dead without running it again (see _take); the attempt that only buries
        it is not counted."""
        now = self.clock()
        with self.engine.begin() as conn:
            changed = self._cas(
                conn, job.id, Status.LEASED, job.lease_token, status=Status.DEAD, lease_token=None,
                locked_until=None, attempts=job.attempts - 1, last_error=reason[:_MAX_ERROR_CHARS],
                finished_at=now, updated_at=now,
            )
        return Outcome.DEAD if changed else Outcome.LOST

    def _take(self, conn: Connection, row: Row[Any], worker_id: str, now: float) -> Job | None:
        # A job whose lease expired on its last attempt (its worker died, maybe killed by the job itself) is
        # still handed out, with attempts above max_attempts: the worker then gives up on it (Worker._give_up)
        # instead of running it, so its handler can record the failure where users see it before it is buried.
        token = secrets.token_hex(16)
        taken = self._cas(
            conn, row.id, row.status, row.lease_token, status=Status.LEASED,
            lease_token=token, locked_until=now + self.lease_seconds, locked_by=worker_id,
            updated_at=now, bump_attempts=True,
        )
        if not taken:
            return None
        return Job(row.id, row.queue, row.key, row.payload, row.attempts + 1, token)

    def _done(self, conn: Connection, job: Job) -> bool:
        now = self.clock()
        return self._cas(
            conn, job.id, Status.LEASED, job.lease_token,
            status=Status.DONE, locked_until=None, finished_at=now, updated_at=now,
        )

    @staticmethod
    def _cas(
        conn: Connection, job_id: int, was_status: str, was_token: str | None,
        *, check_token: bool = True, bump_attempts: bool = False, **values: Any,
    ) -> bool:
        # Compare-and-set: the update applies only if the row is still in the state
        # we saw, so a stale worker can never overwrite a newer holder's lease.
        stmt = statements.compare_and_set(
            tuple(sorted(values)), check_token=check_token, bump_attempts=bump_attempts
        )
        params = {"cas_id": job_id, "cas_status": was_status, "cas_token": was_token}
        params |= {f"new_{name}": value for name, value in values.items()}
        return conn.execute(stmt, params).rowcount == 1
