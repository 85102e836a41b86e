"""What the images context needs from outside: a way to ask for recognition of a new image."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from shared.domain.images import Image


class RecognitionTrigger(Protocol):
    """Makes sure recognition will run for an accepted image: THE seam between the two variants.

    It is called inside the transaction that writes the image row, so the request is stored atomically
    with it. The monolith enqueues the recognition job itself; the uploads service writes an outbox row
    that a relay delivers to the recognition service.
    """

    def request(self, session: Session, image: Image) -> None:
        """Record, in the caller's transaction, that this image must be recognized."""
        ...
