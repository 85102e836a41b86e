"""Composing images with their tags (what the gateway does across two services), with fake ports."""

from __future__ import annotations

import pytest

from shared.api import gallery
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.images import ImageStatus
from shared.recognition.recognizer import Recognition, TagScore
from tests.unit.core.fakes import FakeImages, FakeResults, make_image


def tagged(results: FakeResults, image, *labels: str) -> None:
    results.record(image.id, image.owner_id, Recognition(tuple(TagScore(label, 0.9) for label in labels), "fake", "1"))


@pytest.fixture
def setup():
    images = [make_image("ada", ImageStatus.DONE) for _ in range(5)] + [make_image("bob", ImageStatus.DONE)]
    fake_images, fake_results = FakeImages(images), FakeResults()
    for number, image in enumerate(images):
        tagged(fake_results, image, "cat" if number % 2 else "dog", "bright")
    return fake_images, fake_results, images


def test_a_done_image_comes_with_its_tags_and_a_pending_one_without(setup):
    images, results, stored = setup
    pending = make_image("ada")
    images.images[pending.id] = pending
    assert [t.label for t in gallery.image_with_tags(images, results, "ada", stored[1].id).tags] == ["cat", "bright"]
    assert gallery.image_with_tags(images, results, "ada", pending.id).tags == ()


def test_the_tag_filter_pages_newest_first_with_a_cursor(setup):
    images, results, stored = setup
    first, cursor = gallery.list_images(images, results, "ada", tag="dog", status=None, limit=2, cursor=None)
    second, end = gallery.list_images(images, results, "ada", tag="dog", status=None, limit=2, cursor=cursor)
    dogs = sorted((stored[0].id, stored[2].id, stored[4].id), reverse=True)  # ids made in one millisecond
    assert [i.id for i in first + second] == dogs
    assert end is None


def test_another_users_images_never_appear(setup):
    images, results, stored = setup
    page, _ = gallery.list_images(images, results, "bob", tag=None, status=None, limit=100, cursor=None)
    assert [i.id for i in page] == [stored[5].id]
    with pytest.raises(NotFound):
        gallery.image_with_tags(images, results, "bob", stored[0].id)


def test_deleting_removes_the_image_and_its_tags(setup):
    images, results, stored = setup
    gallery.delete_image(images, results, "ada", stored[0].id)
    assert stored[0].id not in images.images and stored[0].id not in results.tags


def test_deleting_an_image_already_gone_still_forgets_its_result_then_answers_not_found(setup):
    images, results, stored = setup
    del images.images[stored[0].id]  # an earlier delete removed the image, then failed to reach results

    with pytest.raises(NotFound):
        gallery.delete_image(images, results, "ada", stored[0].id)

    assert stored[0].id not in results.tags


def test_deleting_another_users_image_forgets_nothing(setup):
    images, results, stored = setup
    bobs = stored[-1]

    with pytest.raises(NotFound):
        gallery.delete_image(images, results, "ada", bobs.id)

    assert bobs.id in images.images and bobs.id in results.tags


@pytest.mark.parametrize("cursor", ["abc", "1' or '1'='1"])
def test_a_malformed_cursor_is_invalid_input(setup, cursor):
    images, results, _ = setup
    with pytest.raises(InvalidInput):
        gallery.list_images(images, results, "ada", tag=None, status=None, limit=5, cursor=cursor)
