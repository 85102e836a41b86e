"""The monolith's end of a recognition job: result, image status and job completion in one transaction."""

from __future__ import annotations

from shared.db.session import transaction
from shared.domain.images import Image, ImageStatus
from shared.images.catalog import ImageCatalog
from shared.queue.jobs import Job, Outcome
from shared.queue.queue import JobQueue
from shared.recognition.recognizer import Recognition
from shared.results.index import ResultIndex


class SharedDatabaseCommit:
    """A ResultCommit for images, results and a queue kept in one database.

    One write transaction instead of three, with the same guarantees: the result object is written before any
    row points at it, the result insert is idempotent, and the job completes only under its lease (a lost
    lease still keeps the result and the status, exactly as separate transactions would have).
    """

    def __init__(self, images: ImageCatalog, results: ResultIndex, queue: JobQueue):
        if not (images.engine is results.engine is queue.engine):
            raise ValueError("one transaction needs images, results and the queue on the same engine")
        self.images, self.results, self.queue = images, results, queue

    def __call__(self, job: Job, image: Image, recognition: Recognition) -> Outcome:
        """Store the result once, mark the image done and complete the job, all or nothing."""
        # This transaction is the only place that marks an image done, and it records the result too: so a done
        # image already has its result and needs no new one. For any other image the insert is idempotent: if a
        # redelivery recorded a result first, its rows and its JSON object stay, and this one's object goes.
        recorded = image.status is ImageStatus.DONE
        object_key = None if recorded else self.results.put_document(image.id, image.owner_id, recognition)
        added = False
        with transaction(self.queue.engine) as session:
            if self.images.lock_if_present(session, image.id):
                if object_key is not None:
                    added = self.results.add(session, image.id, image.owner_id, recognition, object_key)
                self.images.finish(session, image.id, ImageStatus.DONE)
            completed = self.queue.complete(job, session)
        if object_key is not None and not added:
            # Recorded first by a redelivery, or deleted while it was being recognized (its delete already forgot
            # the result): this delivery's object belongs to no row.
            self.results.drop_document(object_key)
        return Outcome.DONE if completed else Outcome.LOST
