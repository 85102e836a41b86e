"""The jobs table: the queue's whole state lives in these rows."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Status(StrEnum):
    """Where a job is in its life: ready -> leased -> done, or back to ready, or dead."""

    READY = "ready"
    LEASED = "leased"
    DONE = "done"
    DEAD = "dead"


class QueueBase(DeclarativeBase):
    """Metadata of the queue's tables only, so a deployable creates just what it owns."""


class JobRow(QueueBase):
    """One job. Times are epoch seconds (UTC by definition) as doubles on every backend."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Idempotent producers: a second enqueue with the same key is a no-op.
        # NULL keys never collide, so unkeyed jobs are unconstrained.
        UniqueConstraint("queue", "key", name="uq_jobs_queue_key"),
        # Serves the claim query: equality on queue and status, range on run_after.
        Index("ix_jobs_claim", "queue", "status", "run_after"),
        CheckConstraint(
            "status IN ('ready', 'leased', 'done', 'dead')", name="ck_jobs_status"
        ),
    )

    # BIGINT on PostgreSQL (a busy queue outlives 2**31 ids); INTEGER on SQLite,
    # where only "INTEGER PRIMARY KEY" becomes the auto-incrementing rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    # Indexed through the leftmost column of ix_jobs_claim and uq_jobs_queue_key.
    queue: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    status: Mapped[str] = mapped_column(String(16), default=Status.READY.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # The job may be claimed once the clock reaches run_after (delays, backoff).
    run_after: Mapped[float] = mapped_column(Double)
    # A leased job whose locked_until has passed is presumed abandoned (crashed worker).
    locked_until: Mapped[float | None] = mapped_column(Double)
    # Random per claim: complete/fail/extend only succeed for the current holder.
    lease_token: Mapped[str | None] = mapped_column(String(64))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    finished_at: Mapped[float | None] = mapped_column(Double)
