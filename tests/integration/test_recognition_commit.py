"""The monolith ends a recognition job in one transaction: result, image status and job completion together."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monolith.bootstrap import bootstrap, prepare
from shared.db.engine import make_engine
from shared.domain.images import ImageStatus
from shared.queue.jobs import Outcome
from shared.queue.queue import JobQueue
from shared.recognition.commit import SharedDatabaseCommit
from shared.recognition.recognizer import Recognition, TagScore
from shared.results.index import ResultIndex
from shared.results.tables import ResultRow, ResultTagRow
from shared.settings import settings_in
from tests.support.images import solid
from tests.support.results import result_objects, stored_document

ESPRESSO = Recognition((TagScore("espresso", 0.9), TagScore("cup", 0.2), TagScore("espresso", 0.1)), "stub", "1")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def monolith(request, tmp_path):
    """The monolith's collaborators on a fresh SQLite file or PostgreSQL database."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    settings = settings_in(tmp_path / "data", **({"database_url": url} if url else {}))
    prepare(settings)
    built = bootstrap(settings)
    yield built
    built.engine.dispose()


def started(monolith, queue: JobQueue | None = None, worker: str = "worker-1"):
    """Upload an image, claim its job and mark it processing, as the handler does before recognizing."""
    image = monolith.images.accept("owner-1", solid(), "a.jpg", None)
    [job] = (queue or monolith.queue).claim(worker)
    return job, monolith.images.mark_processing(image.id)


def count(monolith, table) -> int:
    with Session(monolith.engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_the_result_the_done_status_and_the_completed_job_are_written_together(monolith):
    job, image = started(monolith)

    outcome = SharedDatabaseCommit(monolith.images, monolith.results, monolith.queue)(job, image, ESPRESSO)

    assert outcome is Outcome.DONE
    assert monolith.images.get("owner-1", image.id).status == ImageStatus.DONE
    assert [t.label for t in monolith.results.tags_for("owner-1", [image.id])[image.id]] == ["espresso", "cup"]
    assert [t["label"] for t in stored_document(monolith.results, image.id)["tags"]] == ["espresso", "cup", "espresso"]
    assert monolith.queue.counts()["done"] == 1


def test_a_lost_lease_keeps_the_one_result_and_lets_the_new_holder_complete_the_job(monolith):
    clock = [time.time() + 1]  # after the upload enqueues its job
    queue = JobQueue(monolith.engine, "recognition", lease_seconds=5, clock=lambda: clock[0])
    commit = SharedDatabaseCommit(monolith.images, monolith.results, queue)
    stale_job, image = started(monolith, queue, "slow-worker")
    clock[0] += 10  # the slow worker's lease runs out and another worker takes the job
    [job] = queue.claim("worker-2")

    assert commit(stale_job, image, ESPRESSO) is Outcome.LOST
    assert commit(job, monolith.images.mark_processing(image.id), ESPRESSO) is Outcome.DONE
    assert (count(monolith, ResultRow), count(monolith, ResultTagRow)) == (1, 2)
    assert queue.counts()["done"] == 1


def test_a_result_recorded_earlier_does_not_abort_the_transaction_that_completes_the_job(monolith):
    job, image = started(monolith)
    monolith.results.record(image.id, image.owner_id, ESPRESSO)  # e.g. by a redelivery still running

    outcome = SharedDatabaseCommit(monolith.images, monolith.results, monolith.queue)(job, image, ESPRESSO)

    assert outcome is Outcome.DONE
    assert monolith.images.get("owner-1", image.id).status == ImageStatus.DONE
    assert count(monolith, ResultRow) == 1
    assert len(result_objects(monolith.results, image.id)) == 1  # the same result: one object, kept


def test_a_different_result_recorded_earlier_keeps_its_rows_and_its_own_json_object(monolith):
    job, image = started(monolith)
    earlier = Recognition((TagScore("cup", 0.8),), "stub", "2")  # e.g. a replica at another version
    monolith.results.record(image.id, image.owner_id, earlier)

    assert SharedDatabaseCommit(monolith.images, monolith.results, monolith.queue)(job, image, ESPRESSO) is Outcome.DONE

    assert [t.label for t in monolith.results.tags_for("owner-1", [image.id])[image.id]] == ["cup"]
    document = stored_document(monolith.results, image.id)
    assert document["recognizer"] == {"name": "stub", "version": "2"} and document["tags"][0]["label"] == "cup"
    assert len(result_objects(monolith.results, image.id)) == 1  # the losing delivery's object is gone


def test_a_redelivery_for_a_done_image_leaves_its_result_and_object_alone(monolith):
    clock = [time.time() + 1]  # after the upload enqueues its job
    queue = JobQueue(monolith.engine, "recognition", lease_seconds=5, clock=lambda: clock[0])
    commit = SharedDatabaseCommit(monolith.images, monolith.results, queue)
    job, image = started(monolith, queue)
    assert commit(job, image, ESPRESSO) is Outcome.DONE
    stored = stored_document(monolith.results, image.id)

    later = Recognition((TagScore("cup", 0.9),), "stub", "2")
    assert commit(job, monolith.images.mark_processing(image.id), later) is Outcome.LOST  # already completed

    assert stored_document(monolith.results, image.id) == stored
    assert len(result_objects(monolith.results, image.id)) == 1
    assert [t.label for t in monolith.results.tags_for("owner-1", [image.id])[image.id]] == ["espresso", "cup"]


def test_one_transaction_needs_one_database(monolith, tmp_path):
    other = ResultIndex(make_engine(f"sqlite:///{tmp_path / 'other.db'}"), monolith.store)

    with pytest.raises(ValueError, match="same engine"):
        SharedDatabaseCommit(monolith.images, other, monolith.queue)
    other.engine.dispose()


def test_an_image_deleted_during_recognition_leaves_no_result_behind(monolith):
    job, image = started(monolith)
    monolith.images.delete("owner-1", image.id)  # the owner deletes it while the recognizer runs
    monolith.results.forget("owner-1", image.id)

    outcome = SharedDatabaseCommit(monolith.images, monolith.results, monolith.queue)(job, image, ESPRESSO)

    assert outcome is Outcome.DONE and monolith.queue.counts()["done"] == 1
    assert (count(monolith, ResultRow), count(monolith, ResultTagRow)) == (0, 0)
    assert monolith.results.tag_counts("owner-1") == []
    assert monolith.store.orphans() == [] and not list((monolith.store.root / "results").glob("*"))
