"""Initial queue schema: the jobs table.

Revision ID: 0b4ccb50b5f1
Revises:
Create Date: 2026-11-28 18:09:38.931038
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Revision identifiers, used by Alembic.
revision: str = "0b4ccb50b5f1"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "jobs",
        # BIGINT on PostgreSQL; "INTEGER PRIMARY KEY" on SQLite, so it is the rowid.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        # status and attempts have client-side defaults only (set by the model), as create_all made them.
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.Double(), nullable=False),
        sa.Column("locked_until", sa.Double(), nullable=True),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue", "key", name="uq_jobs_queue_key"),
        sa.CheckConstraint("status IN ('ready', 'leased', 'done', 'dead')", name="ck_jobs_status"),
    )
    op.create_index("ix_jobs_claim", "jobs", ["queue", "status", "run_after"], unique=False)


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.drop_table("jobs")
