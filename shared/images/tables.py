"""The images context's tables (owned by the uploads service, or the monolith)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.types import UTCDateTime


class ImagesBase(DeclarativeBase):
    """Metadata of the images context only."""


class ImageRow(ImagesBase):
    """One uploaded image's metadata; its bytes are in the object store under object_key."""

    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key", name="uq_images_owner_idempotency_key"),
        Index("ix_images_owner_id_id", "owner_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    object_key: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
