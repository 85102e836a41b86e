"""One service's real app, in-process, for the provider-contract tests (as tests/services/ builds them).

Built as its deployment builds it (prepare, bootstrap, create_app) on SQLite in a temp dir; services other than
users check tokens with the in-memory test key of contract test mode (contracts/provider_states/keys.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from contracts.provider_states.keys import TestKeys
from shared.service.auth import AUTH_EXTENSION
from shared.settings import settings_in


@dataclass
class BuiltService:
    name: str
    app: Flask
    service: object
    keys: TestKeys

    def user_headers(self, user_id: str) -> dict:
        return {"Authorization": f"Bearer {self.keys.user_token(user_id)}"}

    def service_headers(self, caller: str) -> dict:
        return {"Authorization": f"Bearer {self.keys.service_token(caller, self.name)}"}

    def close(self) -> None:
        self.service.engine.dispose()
        if hasattr(self.service, "runtime"):
            self.service.runtime.close()


def build(name: str, data_dir: Path, *, test_key: bool = True, **changes) -> BuiltService:
    """The service's app on its own SQLite file under data_dir (test_key=False: tokens checked via users' JWKS)."""
    bootstrap = importlib.import_module(f"microservices.{name}.bootstrap")
    settings = settings_in(data_dir / name, database_name=name, **changes)
    bootstrap.prepare(settings)
    service = bootstrap.bootstrap(settings)
    app = importlib.import_module(f"microservices.{name}.app").create_app(settings, service)
    keys = TestKeys(settings)
    if test_key and name != "users":  # users checks tokens with its own key, no JWKS fetch
        app.extensions[AUTH_EXTENSION] = keys.caller_checks(name)
    return BuiltService(name, app, service, keys)
