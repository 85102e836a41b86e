"""An image deleted while recognition works on it gets no result afterwards, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.db.session import transaction
from shared.domain.ids import new_id
from shared.recognition.recognizer import Recognition, TagScore
from shared.results.index import ResultIndex
from shared.results.tables import ResultRow, ResultTagRow
from shared.storage.objects import LocalObjectStore
from tests.support.results import result_objects

CAT = Recognition((TagScore("tabby", 0.8), TagScore("warm", 0.5)), "stub", "1")
OWNER, SOMEONE_ELSE = new_id(), new_id()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def index(request, tmp_path) -> Iterator[ResultIndex]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else f"sqlite:///{tmp_path}/r.db"
    engine = make_engine(url)
    migrate(engine, ["results"])
    yield ResultIndex(engine, LocalObjectStore(tmp_path / "objects"))
    engine.dispose()


def count(index: ResultIndex, table) -> int:
    with Session(index.engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_result_delivered_after_its_owner_deleted_the_image_is_refused(index):
    image_id = new_id()
    index.forget(OWNER, image_id)

    assert index.record(image_id, OWNER, CAT) is False

    assert (count(index, ResultRow), count(index, ResultTagRow)) == (0, 0)
    assert result_objects(index, image_id) == []
    assert index.tag_counts(OWNER) == []


def test_only_the_owners_delete_refuses_the_result(index):
    image_id = new_id()
    index.forget(SOMEONE_ELSE, image_id)  # another user's DELETE of an id that is not theirs

    assert index.record(image_id, OWNER, CAT) is True
    assert [t.label for t in index.tags_for(OWNER, [image_id])[image_id]] == ["tabby", "warm"]


def test_forgetting_after_the_result_deletes_it_and_refuses_a_redelivery(index):
    image_id = new_id()
    assert index.record(image_id, OWNER, CAT) is True

    index.forget(OWNER, image_id)
    index.forget(OWNER, image_id)

    assert index.record(image_id, OWNER, CAT) is False
    assert (count(index, ResultRow), count(index, ResultTagRow)) == (0, 0)
    assert result_objects(index, image_id) == []


def deliver(index: ResultIndex, image_id: str, object_key: str) -> None:
    """What record() does once the document is written (written beforehand here, to make the race tighter)."""
    with transaction(index.engine) as session:
        added = index.add(session, image_id, OWNER, CAT, object_key)
    if not added:
        index.drop_document(object_key)


def test_a_delivery_racing_its_owners_delete_never_leaves_a_result(index):
    """The delete and the delivery run at once, many times: whichever goes first, nothing may be left."""
    for _ in range(60):
        image_id = new_id()
        object_key = index.put_document(image_id, OWNER, CAT)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(step, image_id=image_id, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                step(image_id)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(lambda i, key=object_key: deliver(index, i, key),)),
                   threading.Thread(target=run, args=(lambda i: index.forget(OWNER, i),))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert index.tags_for(OWNER, [image_id]) == {}
        assert result_objects(index, image_id) == []
    assert (count(index, ResultRow), count(index, ResultTagRow)) == (0, 0)
