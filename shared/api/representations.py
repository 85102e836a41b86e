"""JSON shapes of the public API (the OpenAPI document describes the same)."""

from __future__ import annotations

from shared.auth.tokens import TokenGrant
from shared.domain.images import Image, TagCount
from shared.domain.users import User


def user_json(user: User) -> dict:
    """An account as the API shows it."""
    return {"id": user.id, "email": user.email, "created_at": user.created_at.isoformat()}


def token_json(grant: TokenGrant) -> dict:
    """A login's answer."""
    return {"access_token": grant.access_token, "token_type": grant.token_type, "expires_in": grant.expires_in}


def image_json(image: Image) -> dict:
    """An image as its owner sees it."""
    return {
        "id": image.id, "status": image.status.value, "filename": image.filename,
        "content_type": image.content_type, "width": image.width, "height": image.height,
        "size_bytes": image.size_bytes, "created_at": image.created_at.isoformat(), "error": image.error,
        "tags": [{"label": t.label, "confidence": t.confidence} for t in image.tags],
    }


def tag_counts_json(counts: list[TagCount]) -> dict:
    """The owner's tags with counts."""
    return {"items": [{"label": c.label, "count": c.count} for c in counts]}
