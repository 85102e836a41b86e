"""What the public API needs from the contexts behind it; the monolith and the gateway each supply these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared.auth.tokens import TokenGrant
from shared.domain.images import Image, ImageStatus, Tag, TagCount
from shared.domain.users import User


class Accounts(Protocol):
    """The users context, as the public API sees it."""

    def register(self, email: object, password: object) -> User: ...
    def issue_token(self, email: object, password: object, client: str) -> TokenGrant: ...
    def get_user(self, user_id: str) -> User: ...


class Images(Protocol):
    """The images context, as the public API sees it."""

    def accept(self, owner_id: str, data: bytes, filename: str | None, idempotency_key: str | None) -> Image: ...
    def get(self, owner_id: str, image_id: str) -> Image: ...
    def get_many(self, owner_id: str, image_ids: list[str]) -> list[Image]: ...
    def list(self, owner_id: str, *, status: ImageStatus | None, limit: int, before: str | None) -> list[Image]: ...
    def content(self, owner_id: str, image_id: str) -> tuple[bytes, str]: ...
    def delete(self, owner_id: str, image_id: str) -> None: ...


class Results(Protocol):
    """The results context, as the public API sees it."""

    def tags_for(self, owner_id: str, image_ids: list[str]) -> dict[str, tuple[Tag, ...]]: ...
    def image_ids_with_tag(self, owner_id: str, label: str, *, limit: int, before: str | None) -> list[str]: ...
    def tag_counts(self, owner_id: str) -> list[TagCount]: ...
    def forget(self, owner_id: str, image_id: str) -> None: ...


@dataclass(frozen=True)
class PublicPorts:
    """Everything the public API is wired to."""

    accounts: Accounts
    images: Images
    results: Results
    user_id_from_token: Callable[[str], str]
    readiness_checks: dict[str, Callable[[], None]] = field(default_factory=dict)
