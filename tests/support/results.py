"""Reading back what a ResultIndex stored: the JSON object its row points at."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.results.index import ResultIndex
from shared.results.tables import ResultRow


def stored_document(index: ResultIndex, image_id: str) -> dict | None:
    """The image's result document as its row names it, or None without a row."""
    with Session(index.engine) as session:
        object_key = session.scalar(select(ResultRow.object_key).where(ResultRow.image_id == image_id))
    return None if object_key is None else json.loads(index.store.get(object_key))


def result_objects(index: ResultIndex, image_id: str) -> list[str]:
    """The names of every result object stored for the image (one per recorded result, nothing else)."""
    return sorted(path.name for path in (index.store.root / "results").glob(f"{image_id}*"))
