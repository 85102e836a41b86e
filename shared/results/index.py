"""Result use cases: record a recognition result once, and answer queries by image, owner and tag."""

from __future__ import annotations

import json
import secrets
import zlib
from collections import defaultdict

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db.engine import READ_ONLY
from shared.db.session import reading, transaction
from shared.db.types import utcnow
from shared.domain.ids import is_id
from shared.domain.images import Tag, TagCount
from shared.recognition.recognizer import MAX_LABEL_LENGTH, Recognition, is_label
from shared.results.tables import ResultRow, ResultTagRow, ResultTombstoneRow
from shared.storage.objects import ObjectStore

# Built once and run on the Connection, not through the ORM: each job writes them (see shared/queue/statements.py).
# ON CONFLICT DO NOTHING rather than catching IntegrityError: on PostgreSQL an error aborts the whole transaction,
# and the monolith records a result in the transaction that also completes its job.
_INSERT_RESULT = {
    name: dialect.insert(ResultRow).on_conflict_do_nothing(index_elements=["image_id"]).returning(ResultRow.image_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_INSERT_TAGS = insert(ResultTagRow)
_EXISTS = select(ResultRow.image_id).where(ResultRow.image_id == bindparam("image_id"))
_TOMBSTONED = select(ResultTombstoneRow.image_id).where(ResultTombstoneRow.image_id == bindparam("image_id"),
                                                        ResultTombstoneRow.owner_id == bindparam("owner_id"))
_INSERT_TOMBSTONE = {
    name: dialect.insert(ResultTombstoneRow).on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# A transaction-scoped PostgreSQL lock per image id (the two-key form, apart from the migrations' one-key lock):
# a delivery and its owner's delete of the same image take it, so one of them always sees the other's rows.
# SQLite needs none: every write transaction there starts with BEGIN IMMEDIATE, so they run one at a time.
_LOCK_IMAGE = text("SELECT pg_advisory_xact_lock(7301, :key)")


class ResultIndex:
    """The results context's use cases, over its own tables and the object store."""

    def __init__(self, engine: Engine, store: ObjectStore):
        self.engine, self.store = engine, store

    def record(self, image_id: str, owner_id: str, recognition: Recognition) -> bool:
        """Store the result; a repeated delivery for the same image, or one for an image its owner deleted,
        changes nothing and returns False."""
        if self.has_result(image_id):
            return False
        object_key = self.put_document(image_id, owner_id, recognition)
        with transaction(self.engine) as session:
            added = self.add(session, image_id, owner_id, recognition, object_key)
        if not added:  # another delivery recorded first (between the check above and the insert), or a tombstone
            self.drop_document(object_key)
        return added

    def has_result(self, image_id: str) -> bool:
        """Tell whether the image already has a recorded result."""
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            return conn.execute(_EXISTS, {"image_id": image_id}).first() is not None

    def put_document(self, image_id: str, owner_id: str, recognition: Recognition) -> str:
        """Write the result's JSON object (before its row, which must never point at nothing); return its key.

        Each delivery writes an object of its own. Two deliveries racing (replicas at different recognizer
        versions, or a redelivery) never rewrite each other's object, and only the owner of an object deletes
        it: the delivery whose row insert lost, or the delete of the row that points at it. So a row always
        points at its own result."""
        object_key = f"results/{image_id}-{secrets.token_hex(8)}.json"
        self.store.put(object_key, result_document(image_id, owner_id, recognition))
        return object_key

    def drop_document(self, object_key: str) -> None:
        """Remove the object of a delivery whose row was not inserted (no row points at it)."""
        self.store.delete(object_key)

    def add(self, session: Session, image_id: str, owner_id: str, recognition: Recognition, object_key: str) -> bool:
        """Insert the result row and its tags in the caller's transaction; False if the image already had one,
        or if its owner deleted it (a late delivery: recognition was still working on it)."""
        conn = session.connection()
        _lock_image(conn, image_id)
        if conn.execute(_TOMBSTONED, {"image_id": image_id, "owner_id": owner_id}).first() is not None:
            return False
        row = {"image_id": image_id, "owner_id": owner_id, "recognizer": recognition.recognizer,
               "version": recognition.version, "object_key": object_key, "created_at": utcnow()}
        if conn.execute(_INSERT_RESULT[conn.dialect.name], row).first() is None:
            return False
        if tags := _tag_rows(image_id, owner_id, recognition):
            conn.execute(_INSERT_TAGS, tags)
        return True

    def tags_for(self, owner_id: str, image_ids: list[str]) -> dict[str, tuple[Tag, ...]]:
        """Return the tags of each of these images that has a result, best first."""
        if not image_ids:
            return {}
        query = (select(ResultTagRow).where(ResultTagRow.owner_id == owner_id, ResultTagRow.image_id.in_(image_ids))
                 .order_by(ResultTagRow.image_id, ResultTagRow.rank))
        tags: dict[str, list[Tag]] = defaultdict(list)
        with reading(self.engine) as session:
            for row in session.scalars(query):
                tags[row.image_id].append(Tag(row.label, row.confidence))
        return {image_id: tuple(found) for image_id, found in tags.items()}

    def image_ids_with_tag(self, owner_id: str, label: str, *, limit: int, before: str | None) -> list[str]:
        """Return ids of the owner's images carrying this label, newest first (ids are time-ordered)."""
        if not is_label(label):  # no stored label is like it (PostgreSQL would even refuse a NUL in it)
            return []
        query = select(ResultTagRow.image_id).where(ResultTagRow.owner_id == owner_id, ResultTagRow.label == label)
        if before is not None:
            query = query.where(ResultTagRow.image_id < before)
        with reading(self.engine) as session:
            return list(session.scalars(query.order_by(ResultTagRow.image_id.desc()).limit(limit)))

    def tag_counts(self, owner_id: str) -> list[TagCount]:
        """Return the owner's labels with how many images carry each, most frequent first."""
        query = (select(ResultTagRow.label, func.count()).where(ResultTagRow.owner_id == owner_id)
                 .group_by(ResultTagRow.label).order_by(func.count().desc(), ResultTagRow.label))
        with reading(self.engine) as session:
            return [TagCount(label, count) for label, count in session.execute(query)]

    def forget(self, owner_id: str, image_id: str) -> None:
        """Delete an image's result when its owner deletes the image, and refuse any result delivered for it
        later (recognition may still be working on it); forgetting twice is fine."""
        if is_id(image_id):  # anything else has no result, and would not fit the tombstone's column
            self._delete(image_id, owner_id)

    def withdraw(self, image_id: str) -> None:
        """Delete the result recorded for an image that no longer exists, whoever owned it (for recognition,
        which finds out after recording it that the image was deleted meanwhile); withdrawing twice is fine."""
        if self.has_result(image_id):  # the usual case: no write transaction for nothing
            self._delete(image_id, None)

    def _delete(self, image_id: str, owner_id: str | None) -> None:
        # Statements, not a read then a delete: a forget and a withdrawal often run at once, and the object
        # deleted must be the one of the row this transaction deleted.
        tags = delete(ResultTagRow).where(ResultTagRow.image_id == image_id)
        result = delete(ResultRow).where(ResultRow.image_id == image_id)
        if owner_id is not None:
            tags = tags.where(ResultTagRow.owner_id == owner_id)
            result = result.where(ResultRow.owner_id == owner_id)
        with transaction(self.engine) as session:
            conn = session.connection()
            _lock_image(conn, image_id)
            if owner_id is not None:
                conn.execute(_INSERT_TOMBSTONE[conn.dialect.name],
                             {"image_id": image_id, "owner_id": owner_id, "deleted_at": utcnow()})
            conn.execute(tags)
            object_key = conn.execute(result.returning(ResultRow.object_key)).scalar()
        if object_key is not None:
            self.store.delete(object_key)


def result_document(image_id: str, owner_id: str, recognition: Recognition) -> bytes:
    """Return the stored JSON object of a result (the original design's S3 step)."""
    return json.dumps({
        "image_id": image_id, "owner_id": owner_id,
        "recognizer": {"name": recognition.recognizer, "version": recognition.version},
        "tags": [{"label": t.label, "confidence": t.confidence} for t in recognition.tags],
    }, sort_keys=True).encode()


def _lock_image(conn: Connection, image_id: str) -> None:
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(image_id.encode())  # two ids sharing a key only wait for each other
        conn.execute(_LOCK_IMAGE, {"key": key - 2**32 if key >= 2**31 else key})  # as a signed 32-bit integer


def _tag_rows(image_id: str, owner_id: str, recognition: Recognition) -> list[dict]:
    rows: dict[str, dict] = {}
    for rank, tag in enumerate(recognition.tags):
        label, confidence = tag.label[:MAX_LABEL_LENGTH], round(float(tag.confidence), 4)
        # A label may come twice (from the class and the colour, say): keep its best confidence and first place.
        if label not in rows or confidence > rows[label]["confidence"]:
            rank = min(rank, rows[label]["rank"]) if label in rows else rank
            rows[label] = {"image_id": image_id, "label": label, "owner_id": owner_id, "confidence": confidence,
                           "rank": rank}
    return sorted(rows.values(), key=lambda row: row["rank"])
