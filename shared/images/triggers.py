"""The RecognitionTrigger both variants use: a job row written in the upload's own transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shared.domain.images import Image
from shared.queue.queue import JobQueue
from shared.recognition.pipeline import recognition_payload


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
