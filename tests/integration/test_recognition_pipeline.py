"""The recognition step through the real queue, tables, object store and classifier (rows 3 and 4)."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.domain.images import ImageStatus
from shared.queue.queue import JobQueue
from shared.queue.worker import Worker
from shared.recognition.pipeline import RecognitionHandler
from shared.recognition.recognizer import RecognitionFailed
from shared.results.tables import ResultRow
from tests.support.images import photo, solid
from tests.support.results import stored_document


class RefusingRecognizer:
    """A stand-in backend that fails on every image, like a corrupt file or a broken model would."""

    name, version = "refusing", "1"

    def recognize(self, image: bytes):
        raise RecognitionFailed("cannot decode this image")


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from shared.recognition.factory import build_recognizer

    return build_recognizer("efficientnet", cache_dir=tmp_path_factory.mktemp("model"))


def accept(monolith, data: bytes, owner: str = "owner-1"):
    return monolith.images.accept(owner, data, "photo.jpg", None)


def test_a_job_runs_the_classifier_and_stores_tags_and_the_json_result(monolith, classifier):
    image = accept(monolith, photo("coffee"))
    handler = RecognitionHandler(monolith.images, monolith.results, classifier, max_attempts=3)
    assert Worker(monolith.queue, handler).run_once() == 1
    assert monolith.images.get("owner-1", image.id).status == ImageStatus.DONE
    labels = [t.label for t in monolith.results.tags_for("owner-1", [image.id])[image.id]]
    assert labels[0] == "espresso"
    assert stored_document(monolith.results, image.id)["tags"][0]["label"] == "espresso"


def test_a_worker_that_dies_after_writing_the_result_leaves_exactly_one_result(monolith, classifier, settings):
    image = accept(monolith, photo("chelsea"))
    clock = [time.time()]
    queue = JobQueue(monolith.engine, "recognition", lease_seconds=5, clock=lambda: clock[0])
    handler = RecognitionHandler(monolith.images, monolith.results, classifier, max_attempts=3)
    job = queue.claim("doomed-worker")[0]
    handler(job)  # the result is written... and the worker dies before it acknowledges the job
    clock[0] += 10  # the lease runs out
    assert Worker(queue, handler).run_once() == 1  # redelivered to another worker
    assert queue.complete(job) is False  # the dead worker's late ack would not count
    with Session(monolith.engine) as session:
        assert session.scalar(select(func.count()).select_from(ResultRow)) == 1
    assert monolith.images.get("owner-1", image.id).status == ImageStatus.DONE


def test_an_image_that_always_fails_ends_failed_with_a_reason_and_a_dead_letter(monolith):
    image = accept(monolith, solid())
    clock = [time.time()]
    queue = JobQueue(monolith.engine, "recognition", max_attempts=3, clock=lambda: clock[0])
    worker = Worker(queue, RecognitionHandler(monolith.images, monolith.results, RefusingRecognizer(),
                                              max_attempts=3))
    for _ in range(3):
        assert worker.run_once() == 1
        assert monolith.images.get("owner-1", image.id).status in (ImageStatus.PROCESSING, ImageStatus.FAILED)
        clock[0] += 120  # past any backoff
    assert worker.run_once() == 0
    failed = monolith.images.get("owner-1", image.id)
    assert failed.status == ImageStatus.FAILED and "cannot decode this image" in failed.error
    dead = queue.dead_jobs()
    assert [d.key for d in dead] == [image.id] and dead[0].attempts == 3
    assert queue.counts() == {"ready": 0, "leased": 0, "done": 0, "dead": 1}


def test_an_image_whose_workers_all_die_on_it_ends_failed_with_a_reason(monolith, classifier):
    image = accept(monolith, solid())
    clock = [time.time()]
    queue = JobQueue(monolith.engine, "recognition", max_attempts=3, lease_seconds=5, clock=lambda: clock[0])
    for _ in range(3):  # each worker takes the job, marks the image processing, and is killed
        [job] = queue.claim("doomed-worker")
        monolith.images.start_recognition(job.payload["image_id"])
        clock[0] += 10
    handler = RecognitionHandler(monolith.images, monolith.results, classifier, max_attempts=3)
    assert Worker(queue, handler).run_once() == 1
    failed = monolith.images.get("owner-1", image.id)
    assert failed.status == ImageStatus.FAILED
    assert failed.error == "recognition stopped: its worker stopped during its last attempt (3 of 3; lease expired)"
    assert [(d.key, d.attempts) for d in queue.dead_jobs()] == [(image.id, 3)]
    assert monolith.results.tags_for("owner-1", [image.id]) == {}  # it was not run a fourth time


def test_a_recognition_service_that_is_down_postpones_jobs_instead_of_failing_images(monolith):
    from shared.recognition.clarifai import ClarifaiRecognizer

    image = accept(monolith, solid())
    clock = [time.time()]
    queue = JobQueue(monolith.engine, "recognition", max_attempts=2, clock=lambda: clock[0])
    with httpx.Client(timeout=1.0) as http:
        down = ClarifaiRecognizer(http, base_url="http://127.0.0.1:9", api_key="key")
        worker = Worker(queue, RecognitionHandler(monolith.images, monolith.results, down, max_attempts=2))
        for _ in range(4):  # more tries than attempts
            assert worker.run_once() == 1
            clock[0] += 5  # past the postponement
    assert queue.counts()["ready"] == 1 and queue.dead_jobs() == []
    assert monolith.images.get("owner-1", image.id).status != ImageStatus.FAILED


def test_a_job_for_a_deleted_image_completes_without_a_result(monolith, classifier):
    image = accept(monolith, solid())
    monolith.images.delete("owner-1", image.id)
    handler = RecognitionHandler(monolith.images, monolith.results, classifier, max_attempts=3)
    assert Worker(monolith.queue, handler).run_once() == 1
    assert monolith.queue.counts()["done"] == 1
    assert monolith.results.tags_for("owner-1", [image.id]) == {}
