"""The recognition step around its ports: fakes for the images, results and the recognizer."""

from __future__ import annotations

import pytest

from shared.domain.errors import DependencyUnavailable
from shared.domain.images import ImageStatus
from shared.queue.jobs import Job, Outcome, RetryLater
from shared.recognition.pipeline import RecognitionHandler
from shared.recognition.recognizer import Recognition, RecognitionFailed, TagScore
from tests.unit.core.fakes import FakeImages, FakeResults, make_image


class StubRecognizer:
    name, version = "stub", "1"

    def __init__(self, fail: bool = False):
        self.fail, self.calls = fail, 0

    def recognize(self, image: bytes) -> Recognition:
        self.calls += 1
        if self.fail:
            raise RecognitionFailed("unreadable")
        return Recognition((TagScore("espresso", 0.9),), self.name, self.version)


def job_for(image_id: str, attempts: int = 1) -> Job:
    return Job(1, "recognition", image_id, {"image_id": image_id, "owner_id": "ada"}, attempts, "token")


def test_a_job_stores_the_result_then_marks_the_image_done():
    image = make_image("ada")
    images, results = FakeImages([image]), FakeResults()
    RecognitionHandler(images, results, StubRecognizer(), max_attempts=3)(job_for(image.id))
    assert results.tags[image.id][1][0].label == "espresso"
    assert images.finished == [(image.id, ImageStatus.DONE, None)]


def test_a_failure_before_the_last_attempt_is_raised_for_a_retry_without_marking_failed():
    image = make_image("ada")
    images = FakeImages([image])
    with pytest.raises(RecognitionFailed):
        RecognitionHandler(images, FakeResults(), StubRecognizer(fail=True), max_attempts=3)(job_for(image.id, 2))
    assert images.finished == []


def test_the_last_failed_attempt_marks_the_image_failed_with_the_reason():
    image = make_image("ada")
    images = FakeImages([image])
    with pytest.raises(RecognitionFailed):
        RecognitionHandler(images, FakeResults(), StubRecognizer(fail=True), max_attempts=3)(job_for(image.id, 3))
    assert images.finished == [(image.id, ImageStatus.FAILED, "RecognitionFailed: unreadable")]


def test_a_last_attempt_that_cannot_mark_the_image_failed_is_postponed_not_buried():
    image = make_image("ada")

    class UploadsDown(FakeImages):
        def finish_recognition(self, image_id, status, error=None):
            raise DependencyUnavailable("uploads is not reachable.")

    with pytest.raises(RetryLater):
        RecognitionHandler(UploadsDown([image]), FakeResults(), StubRecognizer(fail=True),
                           max_attempts=3)(job_for(image.id, 3))


def test_an_image_deleted_during_a_failing_last_attempt_ends_the_job_without_a_failure():
    image = make_image("ada")
    images, results = FakeImages([image]), FakeResults()
    results.record(image.id, "ada", StubRecognizer().recognize(b""))  # left by an earlier attempt

    class DeletedThenFails(StubRecognizer):
        def recognize(self, content: bytes) -> Recognition:
            images.delete("ada", image.id)
            raise RecognitionFailed("the bytes went with the image")

    assert RecognitionHandler(images, results, DeletedThenFails(), max_attempts=3)(job_for(image.id, 3)) is None
    assert results.tags == {}


def test_a_deleted_image_is_skipped_without_running_the_recognizer():
    recognizer = StubRecognizer()
    handler = RecognitionHandler(FakeImages(), FakeResults(), recognizer, max_attempts=3)
    handler(job_for("01a22348-f10c-7c77-84ce-083e66d59ae6"))
    assert recognizer.calls == 0


def test_a_result_recorded_by_an_earlier_attempt_is_withdrawn_when_the_image_is_found_deleted():
    image = make_image("ada")
    results = FakeResults()
    results.record(image.id, "ada", StubRecognizer().recognize(b""))  # that attempt stopped before finishing

    RecognitionHandler(FakeImages(), results, StubRecognizer(), max_attempts=3)(job_for(image.id))

    assert results.tags == {}


class DeletingRecognizer(StubRecognizer):
    """Its owner deletes the image while it is being recognized, and the delete's second step (forgetting the
    result, which would also refuse it later) does not reach results: only recognition can clean up."""

    def __init__(self, images: FakeImages, image_id: str):
        super().__init__()
        self.images, self.image_id = images, image_id

    def recognize(self, image: bytes) -> Recognition:
        self.images.delete("ada", self.image_id)
        return super().recognize(image)


def test_a_result_recorded_for_an_image_deleted_during_recognition_is_withdrawn():
    image = make_image("ada")
    images, results = FakeImages([image]), FakeResults()

    RecognitionHandler(images, results, DeletingRecognizer(images, image.id), max_attempts=3)(
        job_for(image.id))

    assert results.recorded == 1 and results.tags == {}
    assert images.finished == [(image.id, ImageStatus.DONE, None)]


def test_with_a_commit_the_result_status_and_job_end_together_and_the_outcome_goes_to_the_worker():
    image = make_image("ada")
    images, results, committed = FakeImages([image]), FakeResults(), []

    def commit(job, found, recognition):
        committed.append((job.id, found.id, recognition.tags[0].label))
        return Outcome.LOST

    outcome = RecognitionHandler(images, results, StubRecognizer(), max_attempts=3, commit=commit)(job_for(image.id))

    assert outcome is Outcome.LOST
    assert committed == [(1, image.id, "espresso")]
    assert results.tags == {} and images.finished == []
