"""Image use cases: accept an upload, read, list and delete images, and track recognition status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db.session import reading, transaction
from shared.db.types import utcnow
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.ids import is_id, new_id
from shared.domain.images import MAX_ERROR_LENGTH, Image, ImageStatus, clean_filename
from shared.images.ports import RecognitionTrigger
from shared.images.rows import image_from_row, row_for_upload
from shared.images.tables import ImageRow
from shared.imaging.intake import clean_image
from shared.storage.objects import ObjectStore

MAX_IDEMPOTENCY_KEY = 255
# Recognition's status writes, built once: they run for every job (see shared/queue/statements.py).
_FINISH = (update(ImageRow).where(ImageRow.id == bindparam("image_id"), ImageRow.status != ImageStatus.DONE.value)
           .values(status=bindparam("status"), error=bindparam("error"), updated_at=bindparam("now")))
_START = (update(ImageRow).where(ImageRow.id == bindparam("image_id"), ImageRow.status != ImageStatus.DONE.value)
          .values(status=ImageStatus.PROCESSING.value, updated_at=bindparam("now")))
_BY_ID = select(ImageRow).where(ImageRow.id == bindparam("image_id"))


@dataclass(frozen=True)
class UploadLimits:
    """The limits every upload is checked against."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000


class ImageCatalog:
    """The images context's use cases, over its own table and the object store."""

    def __init__(self, engine: Engine, store: ObjectStore, trigger: RecognitionTrigger, limits: UploadLimits):
        self.engine, self.store, self.trigger, self.limits = engine, store, trigger, limits

    def accept(self, owner_id: str, data: bytes, filename: str | None, idempotency_key: str | None) -> Image:
        """Store a clean copy of the upload and request its recognition; a repeated key returns the first image."""
        key = _check_idempotency_key(idempotency_key)
        if key and (first := self._by_idempotency_key(owner_id, key)):
            return first
        clean = clean_image(data, max_bytes=self.limits.max_bytes, max_pixels=self.limits.max_pixels)
        image_id = new_id()
        row = row_for_upload(image_id, owner_id, clean, clean_filename(filename), key, f"images/{image_id}")
        # Bytes first, then the row: a crash in between leaves an unreferenced object, never a row without bytes.
        self.store.put(row.object_key, clean.content)
        committing = False
        try:
            with transaction(self.engine) as session:
                session.add(row)
                session.flush()
                self.trigger.request(session, image_from_row(row))
                committing = True
        except IntegrityError:
            self.store.delete(row.object_key)
            if key and (first := self._by_idempotency_key(owner_id, key)):
                return first  # a concurrent retry with the same key won the race
            raise
        except BaseException:
            # A failed COMMIT may still have committed: keep the bytes (at worst an unreferenced object).
            if not committing:
                self.store.delete(row.object_key)
            raise
        return image_from_row(row)

    def get(self, owner_id: str, image_id: str) -> Image:
        """Return the owner's image; someone else's id is NotFound, exactly like an unknown one."""
        with reading(self.engine) as session:
            return image_from_row(self._owned_row(session, owner_id, image_id))

    def get_many(self, owner_id: str, image_ids: list[str]) -> list[Image]:
        """Return the owner's images among these ids, newest first; others' and unknown ids are left out."""
        ids = [i for i in image_ids if is_id(i)]
        with reading(self.engine) as session:
            rows = session.scalars(select(ImageRow).where(ImageRow.owner_id == owner_id, ImageRow.id.in_(ids))
                                   .order_by(ImageRow.id.desc()))
            return [image_from_row(r) for r in rows]

    def list(self, owner_id: str, *, status: ImageStatus | None, limit: int, before: str | None) -> list[Image]:
        """Return up to limit of the owner's images, newest first, older than the `before` id."""
        query = select(ImageRow).where(ImageRow.owner_id == owner_id)
        if status is not None:
            query = query.where(ImageRow.status == status.value)
        if before is not None:
            query = query.where(ImageRow.id < before)
        with reading(self.engine) as session:
            return [image_from_row(r) for r in session.scalars(query.order_by(ImageRow.id.desc()).limit(limit))]

    def content(self, owner_id: str, image_id: str) -> tuple[bytes, str]:
        """Return the stored bytes and their content type."""
        image = self.get(owner_id, image_id)
        return self.store.get(image.object_key), image.content_type

    def delete(self, owner_id: str, image_id: str) -> None:
        """Delete the image's row, then its bytes."""
        with transaction(self.engine) as session:
            row = self._owned_row(session, owner_id, image_id)
            object_key = row.object_key
            session.delete(row)
        self.store.delete(object_key)

    def start_recognition(self, image_id: str) -> tuple[Image, bytes] | None:
        """Mark the image as processing and return it with its bytes; None if it was deleted meanwhile."""
        image = self.mark_processing(image_id)
        return (image, self.store.get(image.object_key)) if image else None

    def mark_processing(self, image_id: str) -> Image | None:
        """Mark the image as processing (unless already done); None if it was deleted meanwhile."""
        if not is_id(image_id):
            return None
        with self.engine.begin() as conn:
            conn.execute(_START, {"image_id": image_id, "now": utcnow()})
            row = conn.execute(_BY_ID, {"image_id": image_id}).first()
        return image_from_row(row) if row else None

    def stored_bytes(self, image_id: str) -> bytes:
        """The bytes of any image by id (for recognition, which acts for the system, not a user)."""
        with reading(self.engine) as session:
            row = session.get(ImageRow, image_id) if is_id(image_id) else None
            if row is None:
                raise NotFound("No such image.")
            object_key = row.object_key
        return self.store.get(object_key)

    def finish_recognition(self, image_id: str, status: ImageStatus, error: str | None = None) -> bool:
        """Record the end of recognition (done, or failed with a reason); False if the image was deleted."""
        with transaction(self.engine) as session:
            if present := self.lock_if_present(session, image_id):
                self.finish(session, image_id, status, error)
        return present

    @staticmethod
    def lock_if_present(session: Session, image_id: str) -> bool:
        """Tell whether the image still exists, holding its row until the caller's transaction ends, so that a
        delete waits for it (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers)."""
        found = select(ImageRow.id).where(ImageRow.id == image_id).with_for_update()
        return is_id(image_id) and session.execute(found).first() is not None

    @staticmethod
    def finish(session: Session, image_id: str, status: ImageStatus, error: str | None = None) -> None:
        """Record the end of recognition in the caller's transaction; a done or deleted image is left alone."""
        if is_id(image_id):
            # Through the connection: a plain UPDATE, with no ORM bookkeeping for rows this session never loaded.
            session.connection().execute(_FINISH, {"image_id": image_id, "status": status.value,
                                                   "error": error and error[:MAX_ERROR_LENGTH], "now": utcnow()})

    def _by_idempotency_key(self, owner_id: str, key: str) -> Image | None:
        with reading(self.engine) as session:
            row = session.scalars(select(ImageRow).where(
                ImageRow.owner_id == owner_id, ImageRow.idempotency_key == key)).one_or_none()
            return image_from_row(row) if row else None

    @staticmethod
    def _owned_row(session: Session, owner_id: str, image_id: str) -> ImageRow:
        row = session.get(ImageRow, image_id) if is_id(image_id) else None
        if row is None or row.owner_id != owner_id:
            raise NotFound("No such image.")
        return row


def _check_idempotency_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput("The Idempotency-Key header is not valid.", errors=[
            {"field": "Idempotency-Key", "message": f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"}])
    return key
