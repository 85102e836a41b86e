"""Builds the monolith's object graph: every port gets its in-process adapter."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from shared.api.ports import PublicPorts
from shared.auth.passwords import Passwords
from shared.auth.tokens import (
    TokenIssuer,
    TokenVerifier,
    jwks,
    load_or_create_signing_key,
)
from shared.db.engine import make_engine, ping
from shared.db.migrate import migrate
from shared.images.catalog import ImageCatalog, UploadLimits
from shared.images.triggers import QueuedRecognitionTrigger
from shared.queue.queue import JobQueue
from shared.recognition.commit import SharedDatabaseCommit
from shared.recognition.pipeline import RecognitionHandler
from shared.results.index import ResultIndex
from shared.settings import Settings
from shared.storage.objects import LocalObjectStore
from shared.users.accounts import UserAccounts
from shared.users.throttle import LoginThrottle, ThrottlePolicy

TABLE_FAMILIES = ("users", "images", "results", "queue")  # the monolith owns every table family
RECOGNITION_QUEUE = "recognition"


@dataclass
class Monolith:
    """Every collaborator of the monolith, built from settings."""

    settings: Settings
    engine: Engine

    @cached_property
    def store(self) -> LocalObjectStore:
        return LocalObjectStore(self.settings.object_store_dir)

    @cached_property
    def queue(self) -> JobQueue:
        return JobQueue(self.engine, RECOGNITION_QUEUE, max_attempts=self.settings.recognition_max_attempts,
                        lease_seconds=self.settings.recognition_lease_seconds)

    @cached_property
    def accounts(self) -> UserAccounts:
        key = load_or_create_signing_key(self.settings.signing_key_path)
        issuer = TokenIssuer(key, issuer=self.settings.token_issuer, audience=self.settings.token_audience,
                             ttl_seconds=self.settings.token_ttl_seconds)
        policy = ThrottlePolicy(self.settings.login_max_failures, self.settings.login_window_seconds)
        return UserAccounts(self.engine, Passwords(), issuer, LoginThrottle(policy))

    @cached_property
    def public_keys(self) -> dict:
        return jwks([load_or_create_signing_key(self.settings.signing_key_path).public_key()])

    @cached_property
    def images(self) -> ImageCatalog:
        limits = UploadLimits(self.settings.max_upload_bytes, self.settings.max_pixels)
        return ImageCatalog(self.engine, self.store, QueuedRecognitionTrigger(self.queue), limits)

    @cached_property
    def results(self) -> ResultIndex:
        return ResultIndex(self.engine, self.store)

    def ports(self) -> PublicPorts:
        """The public API's ports, all in-process."""
        verifier = TokenVerifier(self.public_keys, issuer=self.settings.token_issuer,
                                 audience=self.settings.token_audience)
        return PublicPorts(self.accounts, self.images, self.results, verifier.subject,
                           readiness_checks={"database": lambda: ping(self.engine), "object_store": self.check_store})

    def recognition_handler(self) -> RecognitionHandler:
        """The job handler, with the configured recognizer (built on first use: it loads a model)."""
        from shared.recognition.factory import (
            build_recognizer,  # onnxruntime loads only where recognition runs
        )

        recognizer = build_recognizer(self.settings.recognizer, cache_dir=self.settings.model_cache_dir,
                                      clarifai_url=self.settings.clarifai_url or None,
                                      clarifai_api_key=self.settings.clarifai_api_key or None)
        # One database holds images, results and the queue, so a job ends in one transaction.
        return RecognitionHandler(self.images, self.results, recognizer,
                                  max_attempts=self.settings.recognition_max_attempts,
                                  commit=SharedDatabaseCommit(self.images, self.results, self.queue))

    def check_store(self) -> None:
        if not self.settings.object_store_dir.is_dir():
            raise FileNotFoundError(self.settings.object_store_dir)


def bootstrap(settings: Settings) -> Monolith:
    """Build the monolith's collaborators (connections open lazily)."""
    return Monolith(settings, make_engine(settings.database_url))


def prepare(settings: Settings) -> None:
    """One-time start-up work, run once before any worker starts: tables, signing key, object store (and what
    a write cut short by a crash left in it)."""
    monolith = bootstrap(settings)
    try:
        migrate(monolith.engine, TABLE_FAMILIES)
        load_or_create_signing_key(settings.signing_key_path)
        monolith.store.sweep_orphans()
    finally:
        monolith.engine.dispose()
