"""The RecognitionTrigger both variants use (a job row written in the upload's own transaction), and the relay
that hands the microservices' rows to the recognition service."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from shared.api.context import accept_request_id
from shared.domain.errors import Unauthorized
from shared.domain.images import Image, ImageStatus
from shared.http.client import retry_later_when_unavailable
from shared.queue.jobs import Job, RetryLater
from shared.queue.queue import JobQueue
from shared.recognition.pipeline import ImageSource, recognition_payload

log = logging.getLogger("twintag.relay")
# How long a row waits when recognition (or the users service issuing our token) refuses our credentials.
REFUSED_CREDENTIALS_RETRY_SECONDS = 10.0


class QueuedRecognitionTrigger:
    """Enqueue a job atomically with the image row.

    The monolith passes its recognition queue: its own workers run the job. The uploads service passes its
    outbox: a relay hands each row to the recognition service over HTTP until it is accepted.
    """

    def __init__(self, queue: JobQueue):
        self.queue = queue

    def request(self, session: Session, image: Image) -> None:
        """Record, in the caller's transaction, that this image must be recognized."""
        self.queue.enqueue(session, recognition_payload(image), key=image.id)


class RecognitionRelay:
    """The uploads service's outbox handler: hands one row to the recognition service until it is accepted.

    A dependency that is down, or one that refuses our credentials (a wrong or rotated service secret: the
    operator's to fix, not the row's fault), postpones the row without using an attempt, so its image waits
    `pending` and is recognized once that is fixed. Any other refusal uses an attempt; after the last one the
    image is marked failed with the reason and the row becomes a dead letter, so no image stays `pending` for good.
    """

    def __init__(self, submit: Callable[[dict], object], images: ImageSource, *, max_attempts: int):
        self.submit, self.images, self.max_attempts = submit, images, max_attempts

    def __call__(self, job: Job) -> None:
        accept_request_id(job.payload.get("request_id"))
        try:
            with retry_later_when_unavailable():
                self.submit(job.payload)
        except RetryLater:
            raise
        except Unauthorized as exc:
            log.error("recognition cannot be asked: our service credentials were refused (%s); check "
                      "TWINTAG_SERVICE_SECRET", exc)
            raise RetryLater(str(exc), delay=REFUSED_CREDENTIALS_RETRY_SECONDS) from exc
        except Exception as exc:
            if job.attempts >= self.max_attempts:
                self.give_up(job, f"{type(exc).__name__}: {exc}")
            raise

    def give_up(self, job: Job, reason: str) -> None:
        """Mark the image failed before the row is buried (the queue's Worker calls this too)."""
        accept_request_id(job.payload.get("request_id"))
        self.images.finish_recognition(str(job.payload.get("image_id", "")), ImageStatus.FAILED,
                                       f"could not be handed to recognition: {reason}")
