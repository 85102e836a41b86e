"""The results context's tables (owned by the results service, or the monolith)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.types import UTCDateTime


class ResultsBase(DeclarativeBase):
    """Metadata of the results context only."""


class ResultRow(ResultsBase):
    """One image's recognition result; the full response is the JSON object at object_key."""

    __tablename__ = "results"

    image_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # one result per image: idempotent writes
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    recognizer: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    object_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResultTombstoneRow(ResultsBase):
    """An image its owner deleted. A result delivered for it afterwards is refused: recognition may still be
    working on an image when it is deleted, and nothing would ever remove a result recorded after the delete.
    Keyed by owner too, so only the owner's own delete can refuse an image's result."""

    __tablename__ = "result_tombstones"

    image_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResultTagRow(ResultsBase):
    """One tag of one result, indexed for "my images with this tag" and tag counts."""

    __tablename__ = "result_tags"
    __table_args__ = (Index("ix_result_tags_owner_label_image", "owner_id", "label", "image_id"),)

    image_id: Mapped[str] = mapped_column(ForeignKey("results.image_id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36))
    confidence: Mapped[float] = mapped_column(Float)
    rank: Mapped[int]
