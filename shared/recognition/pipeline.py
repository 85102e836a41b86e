"""The recognition step (the original design's Lambda): one job in, one stored result out."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from prometheus_client import Counter, Histogram

from shared.api.context import accept_request_id, current_request_id
from shared.domain.ids import is_id
from shared.domain.images import Image, ImageStatus
from shared.http.client import retry_later_when_unavailable
from shared.queue.jobs import Job, Outcome, RetryLater
from shared.recognition.recognizer import Recognition, Recognizer

log = logging.getLogger("twintag.recognition")
RECOGNITION_SECONDS = Histogram("twintag_recognition_duration_seconds", "Time to recognize one image.",
                                ["recognizer"], buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
JOBS = Counter("twintag_recognition_jobs_total", "Recognition jobs handled, by outcome.", ["outcome"])


class ImageSource(Protocol):
    """Where the recognition step gets images from and reports their status to (the images context)."""

    def start_recognition(self, image_id: str) -> tuple[Image, bytes] | None:
        """Mark the image processing; return it and its bytes, or None if it is gone."""
        ...

    def finish_recognition(self, image_id: str, status: ImageStatus, error: str | None = None) -> bool:
        """Record that recognition ended (done or failed); return False if the image is gone."""
        ...


class ResultSink(Protocol):
    """Where results go (the results context); recording twice must be harmless."""

    def record(self, image_id: str, owner_id: str, recognition: Recognition) -> bool:
        """Store the result once; return False if it was already there."""
        ...

    def withdraw(self, image_id: str) -> None:
        """Remove the result of an image that turned out to be deleted; harmless when there is none."""
        ...


class ResultCommit(Protocol):
    """Records a result, marks its image done and completes its job in one transaction (one shared database)."""

    def __call__(self, job: Job, image: Image, recognition: Recognition) -> Outcome:
        """Commit all three at once; return DONE, or LOST if the job's lease had passed to another worker."""
        ...


def recognition_payload(image: Image) -> dict:
    """The job message for one image; it carries the upload's request id so every hop logs the same one."""
    return {"image_id": image.id, "owner_id": image.owner_id, "request_id": current_request_id()}


class RecognitionHandler:
    """Handles one recognition job; raises to let the queue retry, marks the image failed on the last try."""

    def __init__(self, source: ImageSource, sink: ResultSink, recognizer: Recognizer, *, max_attempts: int,
                 commit: ResultCommit | None = None):
        self.source, self.sink, self.recognizer, self.max_attempts = source, sink, recognizer, max_attempts
        # Given when images, results and the queue share a database (the monolith): it then records the result
        # in place of the sink, which is only used without it.
        self.commit = commit

    def __call__(self, job: Job) -> Outcome | None:
        accept_request_id(job.payload.get("request_id"))
        image_id = str(job.payload.get("image_id", ""))
        try:
            with retry_later_when_unavailable():
                outcome = self._recognize(job, image_id)
        except RetryLater:
            JOBS.labels("postponed").inc()
            raise
        except Exception as exc:
            if job.attempts < self.max_attempts:
                JOBS.labels("retried").inc()
                raise
            if self._mark_failed(image_id, f"{type(exc).__name__}: {exc}"):
                raise
            outcome = None  # deleted during this last attempt: no dead letter is due
        JOBS.labels("done").inc()
        return outcome

    def give_up(self, job: Job, reason: str) -> None:
        """The job's worker stopped during its last attempt (a crash, a kill, an image that exhausts memory):
        mark the image failed before the queue buries the job."""
        accept_request_id(job.payload.get("request_id"))
        self._mark_failed(str(job.payload.get("image_id", "")), f"recognition stopped: {reason}")

    def _mark_failed(self, image_id: str, reason: str) -> bool:
        """Mark the image failed; return False if it was deleted meanwhile. A dependency that is down postpones
        the job (RetryLater) rather than burying it with the image left `processing`."""
        with retry_later_when_unavailable():
            marked = self.source.finish_recognition(image_id, ImageStatus.FAILED, reason)
        if marked or not is_id(image_id):
            JOBS.labels("failed").inc()
            return True
        # Deleted during the last attempt (its bytes vanished with it, say): nothing is left to mark failed;
        # take back any result an attempt recorded.
        log.info("image %s was deleted during its last attempt; nothing to fail", image_id)
        with retry_later_when_unavailable():
            self.sink.withdraw(image_id)
        return False

    def _recognize(self, job: Job, image_id: str) -> Outcome | None:
        found = self.source.start_recognition(image_id)
        if found is None:
            log.info("image %s was deleted before recognition; nothing to recognize", image_id)
            if is_id(image_id):  # an earlier attempt may have recorded a result, then stopped before finding out
                self.sink.withdraw(image_id)
            return None
        image, content = found
        started = time.perf_counter()
        recognition = self.recognizer.recognize(content)
        RECOGNITION_SECONDS.labels(self.recognizer.name).observe(time.perf_counter() - started)
        if self.commit is not None:
            return self.commit(job, image, recognition)
        self.sink.record(image.id, image.owner_id, recognition)
        if not self.source.finish_recognition(image.id, ImageStatus.DONE):
            # Deleted while it was being recognized. Its delete's tombstone in results refused this result, unless
            # the delete never reached results: take the result back (images and results live in two services,
            # with no transaction around both; the monolith's commit checks the image under a lock instead).
            log.info("image %s was deleted during recognition; result withdrawn", image.id)
            self.sink.withdraw(image.id)
        return None  # the worker completes the job
