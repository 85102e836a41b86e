"""The gateway's tag cache around a fake Results port: what it remembers, what it asks again, what it drops."""

from __future__ import annotations

from shared.clients.cached_results import CachedResults
from shared.domain.ids import new_id
from shared.recognition.recognizer import Recognition, TagScore
from tests.unit.core.fakes import FakeResults


class CountingResults(FakeResults):
    """FakeResults that remembers which ids each tags_for call asked for."""

    def __init__(self):
        super().__init__()
        self.asked: list[list[str]] = []

    def tags_for(self, owner_id, image_ids):
        self.asked.append(list(image_ids))
        return super().tags_for(owner_id, image_ids)


def recorded(results: FakeResults, owner_id: str, label: str) -> str:
    image_id = new_id()
    results.record(image_id, owner_id, Recognition((TagScore(label, 0.9),), "fake", "1"))
    return image_id


def test_tags_are_fetched_once_then_served_from_memory():
    inner, owner = CountingResults(), new_id()
    image_id = recorded(inner, owner, "espresso")
    cached = CachedResults(inner, max_entries=10)
    first = cached.tags_for(owner, [image_id])
    second = cached.tags_for(owner, [image_id])
    assert first == second and [t.label for t in second[image_id]] == ["espresso"]
    assert inner.asked == [[image_id]]


def test_only_the_missing_ids_are_asked_for():
    inner, owner = CountingResults(), new_id()
    known, new = recorded(inner, owner, "cat"), recorded(inner, owner, "dog")
    cached = CachedResults(inner, max_entries=10)
    cached.tags_for(owner, [known])
    both = cached.tags_for(owner, [known, new])
    assert set(both) == {known, new}
    assert inner.asked == [[known], [new]]


def test_an_image_without_a_result_yet_is_asked_again():
    inner, owner = CountingResults(), new_id()
    cached = CachedResults(inner, max_entries=10)
    pending = new_id()
    assert cached.tags_for(owner, [pending]) == {}
    inner.record(pending, owner, Recognition((TagScore("tabby", 0.8),), "fake", "1"))
    assert [t.label for t in cached.tags_for(owner, [pending])[pending]] == ["tabby"]
    assert inner.asked == [[pending], [pending]]


def test_entries_belong_to_their_owner():
    inner, owner, stranger = CountingResults(), new_id(), new_id()
    image_id = recorded(inner, owner, "espresso")
    cached = CachedResults(inner, max_entries=10)
    cached.tags_for(owner, [image_id])
    assert cached.tags_for(stranger, [image_id]) == {}


def test_forget_drops_the_entry_and_forgets_upstream():
    inner, owner = CountingResults(), new_id()
    image_id = recorded(inner, owner, "espresso")
    cached = CachedResults(inner, max_entries=10)
    cached.tags_for(owner, [image_id])
    cached.forget(owner, image_id)
    assert image_id not in inner.tags
    assert cached.tags_for(owner, [image_id]) == {}
    assert len(inner.asked) == 2


def test_the_cache_is_bounded_and_evicts_the_least_recently_used():
    inner, owner = CountingResults(), new_id()
    first, second, third = (recorded(inner, owner, f"label-{n}") for n in range(3))
    cached = CachedResults(inner, max_entries=2)
    cached.tags_for(owner, [first])
    cached.tags_for(owner, [second])
    cached.tags_for(owner, [first])  # first is now the most recently used
    cached.tags_for(owner, [third])  # evicts second, not first
    inner.asked.clear()
    cached.tags_for(owner, [first, second])
    assert inner.asked == [[second]]


def test_queries_and_counts_always_go_upstream():
    inner, owner = CountingResults(), new_id()
    first = recorded(inner, owner, "espresso")
    cached = CachedResults(inner, max_entries=10)
    assert cached.image_ids_with_tag(owner, "espresso", limit=5, before=None) == [first]
    assert [c.count for c in cached.tag_counts(owner)] == [1]
    second = recorded(inner, owner, "espresso")
    assert set(cached.image_ids_with_tag(owner, "espresso", limit=5, before=None)) == {first, second}
    assert [c.count for c in cached.tag_counts(owner)] == [2]
