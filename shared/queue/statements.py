"""The queue's hot-path SQL, built once and then executed with bound values.

Building a SQLAlchemy statement and computing its cache key costs more CPU than
SQLite takes to run it; workers claim and complete jobs in a tight loop, so these
statements are built once per shape and reused (a statement caches its own key).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Update, and_, bindparam, or_, select, update

from shared.queue.tables import JobRow, Status


@cache
def claimable(*, skip_locked: bool) -> Select[Any]:
    """Select due jobs and jobs with expired leases of one queue, oldest first."""
    now = bindparam("now")
    due = and_(JobRow.status == Status.READY.value, JobRow.run_after <= now)
    expired = and_(JobRow.status == Status.LEASED.value, JobRow.locked_until < now)
    stmt = (
        select(JobRow.id, JobRow.queue, JobRow.key, JobRow.payload,
               JobRow.attempts, JobRow.status, JobRow.lease_token)
        .where(JobRow.queue == bindparam("queue"), or_(due, expired))
        .order_by(JobRow.run_after, JobRow.id)
        .limit(bindparam("limit", type_=Integer))
    )
    # SQLAlchemy silently drops FOR UPDATE on SQLite, so it is only asked for on
    # PostgreSQL; on SQLite, BEGIN IMMEDIATE (shared.db.engine) serializes claimers.
    return stmt.with_for_update(skip_locked=True) if skip_locked else stmt


@cache
def compare_and_set(
    columns: tuple[str, ...], *, check_token: bool, bump_attempts: bool
) -> Update:
    """Update `columns` (bound as new_<name>) of row cas_id if it still has cas_status/cas_token."""
    stmt = update(JobRow).where(
        JobRow.id == bindparam("cas_id"), JobRow.status == bindparam("cas_status")
    )
    if check_token:
        stmt = stmt.where(JobRow.lease_token.is_not_distinct_from(bindparam("cas_token")))
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    if bump_attempts:
        # Relative, not a value read earlier: correct however the row got here.
        values["attempts"] = JobRow.attempts + 1
    return stmt.values(values)
