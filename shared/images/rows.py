"""Conversions between the images table and the domain's Image."""

from __future__ import annotations

from shared.db.types import utcnow
from shared.domain.images import Image, ImageStatus
from shared.images.tables import ImageRow
from shared.imaging.intake import CleanImage


def image_from_row(row: ImageRow) -> Image:
    """Return the domain object for a row."""
    return Image(id=row.id, owner_id=row.owner_id, status=ImageStatus(row.status), filename=row.filename,
                 content_type=row.content_type, width=row.width, height=row.height, size_bytes=row.size_bytes,
                 object_key=row.object_key, created_at=row.created_at, error=row.error)


def row_for_upload(image_id: str, owner_id: str, clean: CleanImage, filename: str,
                   idempotency_key: str | None, object_key: str) -> ImageRow:
    """Return the row of a just-accepted upload, pending recognition."""
    now = utcnow()
    return ImageRow(id=image_id, owner_id=owner_id, status=ImageStatus.PENDING.value, filename=filename,
                    content_type=clean.content_type, width=clean.width, height=clean.height,
                    size_bytes=len(clean.content), object_key=object_key, idempotency_key=idempotency_key,
                    error=None, created_at=now, updated_at=now)
