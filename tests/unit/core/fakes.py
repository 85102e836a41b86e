"""In-memory fakes of the ports, for unit tests of the code around them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shared.domain.errors import NotFound
from shared.domain.ids import new_id
from shared.domain.images import Image, ImageStatus, Tag, TagCount


def make_image(owner_id: str, status: ImageStatus = ImageStatus.PENDING) -> Image:
    """An image as the catalog would return it."""
    return Image(id=new_id(), owner_id=owner_id, status=status, filename="a.jpg", content_type="image/jpeg",
                 width=4, height=3, size_bytes=10, object_key="images/x", created_at=datetime.now(UTC))


class FakeImages:
    """The Images port in a dict."""

    def __init__(self, images: list[Image] = ()):
        self.images = {i.id: i for i in images}
        self.content_by_id: dict[str, bytes] = {}
        self.finished: list[tuple[str, ImageStatus, str | None]] = []

    def get(self, owner_id, image_id):
        image = self.images.get(image_id)
        if image is None or image.owner_id != owner_id:
            raise NotFound("No such image.")
        return image

    def get_many(self, owner_id, image_ids):
        return sorted((i for i in self.images.values() if i.id in image_ids and i.owner_id == owner_id),
                      key=lambda i: i.id, reverse=True)

    def list(self, owner_id, *, status, limit, before):
        found = [i for i in self.images.values() if i.owner_id == owner_id and (status is None or i.status == status)
                 and (before is None or i.id < before)]
        return sorted(found, key=lambda i: i.id, reverse=True)[:limit]

    def delete(self, owner_id, image_id):
        self.images.pop(self.get(owner_id, image_id).id)

    def start_recognition(self, image_id):
        image = self.images.get(image_id)
        if image is None:
            return None
        self.images[image_id] = replace(image, status=ImageStatus.PROCESSING)
        return self.images[image_id], self.content_by_id.get(image_id, b"bytes")

    def finish_recognition(self, image_id, status, error=None):
        self.finished.append((image_id, status, error))
        return image_id in self.images


class FakeResults:
    """The Results port (and ResultSink) in a dict."""

    def __init__(self):
        self.tags: dict[str, tuple[str, tuple[Tag, ...]]] = {}
        self.tombstones: set[tuple[str, str]] = set()  # (image, owner) deleted by its owner: later results refused
        self.recorded = 0

    def record(self, image_id, owner_id, recognition):
        self.recorded += 1
        if image_id in self.tags or (image_id, owner_id) in self.tombstones:
            return False
        self.tags[image_id] = (owner_id, tuple(Tag(t.label, t.confidence) for t in recognition.tags))
        return True

    def tags_for(self, owner_id, image_ids):
        return {i: t for i, (o, t) in self.tags.items() if o == owner_id and i in image_ids}

    def image_ids_with_tag(self, owner_id, label, *, limit, before):
        ids = [i for i, (o, t) in self.tags.items() if o == owner_id and any(x.label == label for x in t)
               and (before is None or i < before)]
        return sorted(ids, reverse=True)[:limit]

    def tag_counts(self, owner_id):
        counts: dict[str, int] = {}
        for owner, tags in self.tags.values():
            for tag in tags if owner == owner_id else ():
                counts[tag.label] = counts.get(tag.label, 0) + 1
        return [TagCount(label, n) for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def forget(self, owner_id, image_id):
        self.tombstones.add((image_id, owner_id))
        if self.tags.get(image_id, ("",))[0] == owner_id:
            del self.tags[image_id]

    def withdraw(self, image_id):
        self.tags.pop(image_id, None)
