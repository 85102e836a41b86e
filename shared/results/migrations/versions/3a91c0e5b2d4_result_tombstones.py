"""Result tombstones: images their owners deleted, whose late results are refused.

Revision ID: 3a91c0e5b2d4
Revises: d7cc207474fb
Create Date: 2026-11-29 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "3a91c0e5b2d4"
down_revision: str | Sequence[str] | None = "d7cc207474fb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "result_tombstones",
        sa.Column("image_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("image_id", "owner_id"),
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_table("result_tombstones")
