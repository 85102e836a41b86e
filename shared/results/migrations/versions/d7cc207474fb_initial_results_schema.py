"""Initial results schema: recognition results and their tags.

Revision ID: d7cc207474fb
Revises:
Create Date: 2026-11-28 18:09:37.976509
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "d7cc207474fb"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "results",
        sa.Column("image_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("recognizer", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("object_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("image_id"),
    )
    op.create_index("ix_results_owner_id", "results", ["owner_id"], unique=False)
    op.create_table(
        "result_tags",
        sa.Column("image_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["results.image_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id", "label"),
    )
    op.create_index(
        "ix_result_tags_owner_label_image", "result_tags", ["owner_id", "label", "image_id"], unique=False
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_result_tags_owner_label_image", table_name="result_tags")
    op.drop_table("result_tags")
    op.drop_index("ix_results_owner_id", table_name="results")
    op.drop_table("results")
