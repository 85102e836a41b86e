"""The gateway's memory of finished images' tags: a recorded result never changes, so one fetch is enough."""

from __future__ import annotations

import threading

from cachetools import LRUCache
from prometheus_client import Counter

from shared.api.ports import Results
from shared.domain.images import Tag, TagCount

TAG_CACHE_LOOKUPS = Counter("twintag_gateway_tag_cache_total",
                            "Images whose tags the gateway looked up in its cache, by outcome.", ["outcome"])


class CachedResults:
    """The Results port with a bounded, per-process cache of tags by (owner, image).

    Why it is safe: the results service records an image's result once (a redelivery changes nothing) and image
    ids are never reused. The gateway asks for tags only after the uploads service has just answered that the
    image exists, belongs to the caller and is done, so the entry of a deleted image is never reached again
    (and `forget` drops it here too). Tag queries and counts are not cached: they change with every upload.
    """

    def __init__(self, results: Results, max_entries: int):
        self.results = results
        self._tags: LRUCache[tuple[str, str], tuple[Tag, ...]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def tags_for(self, owner_id: str, image_ids: list[str]) -> dict[str, tuple[Tag, ...]]:
        with self._lock:
            known = {i: self._tags[(owner_id, i)] for i in image_ids if (owner_id, i) in self._tags}
        missing = [i for i in image_ids if i not in known]
        TAG_CACHE_LOOKUPS.labels("hit").inc(len(known))
        if not missing:
            return known
        TAG_CACHE_LOOKUPS.labels("miss").inc(len(missing))
        fetched = self.results.tags_for(owner_id, missing)
        with self._lock:
            for image_id, tags in fetched.items():  # an image without a result yet is asked again next time
                self._tags[(owner_id, image_id)] = tags
        return {**known, **fetched}

    def image_ids_with_tag(self, owner_id: str, label: str, *, limit: int, before: str | None) -> list[str]:
        return self.results.image_ids_with_tag(owner_id, label, limit=limit, before=before)

    def tag_counts(self, owner_id: str) -> list[TagCount]:
        return self.results.tag_counts(owner_id)

    def forget(self, owner_id: str, image_id: str) -> None:
        with self._lock:
            self._tags.pop((owner_id, image_id), None)
        self.results.forget(owner_id, image_id)
