"""Composing answers that need both images and results: the only logic the gateway runs across services."""

from __future__ import annotations

from dataclasses import replace

from shared.api.ports import Images, Results
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.ids import is_id
from shared.domain.images import Image, ImageStatus
from shared.recognition.recognizer import MAX_LABEL_LENGTH


def image_with_tags(images: Images, results: Results, owner_id: str, image_id: str) -> Image:
    """Return one image with its tags filled in once recognition is done."""
    image = images.get(owner_id, image_id)
    return _with_tags(results, owner_id, [image])[0]


def list_images(images: Images, results: Results, owner_id: str, *, tag: str | None, status: ImageStatus | None,
                limit: int, cursor: str | None) -> tuple[list[Image], str | None]:
    """Return a page of the owner's images, newest first, and the cursor of the next page (None at the end)."""
    if cursor is not None and not is_id(cursor):
        raise InvalidInput("The cursor is not valid.", errors=[{"field": "cursor", "message": "use next_cursor"}])
    if tag:
        if len(tag) > MAX_LABEL_LENGTH:
            raise InvalidInput("The tag is too long.",
                               errors=[{"field": "tag", "message": f"at most {MAX_LABEL_LENGTH} characters"}])
        ids = results.image_ids_with_tag(owner_id, tag, limit=limit, before=cursor)
        page = [i for i in images.get_many(owner_id, ids) if status is None or i.status == status]
        next_cursor = ids[-1] if len(ids) == limit else None
    else:
        page = images.list(owner_id, status=status, limit=limit, before=cursor)
        next_cursor = page[-1].id if len(page) == limit else None
    return _with_tags(results, owner_id, page), next_cursor


def delete_image(images: Images, results: Results, owner_id: str, image_id: str) -> None:
    """Delete the image, then its result; both steps are safe to repeat.

    An image already gone still has its result forgotten before the 404: the delete that removed it may have
    stopped before its second step (the results service was down), and this retry must finish it. Forgetting
    is scoped to the owner, so another user's id forgets nothing."""
    try:
        images.delete(owner_id, image_id)
    except NotFound:
        if is_id(image_id):
            results.forget(owner_id, image_id)
        raise
    results.forget(owner_id, image_id)


def _with_tags(results: Results, owner_id: str, page: list[Image]) -> list[Image]:
    done = [i.id for i in page if i.status == ImageStatus.DONE]
    tags = results.tags_for(owner_id, done) if done else {}
    return [replace(i, tags=tags.get(i.id, ())) for i in page]
