"""Contract tests: provider contracts (OpenAPI, message schemas), consumer-driven pacts, SLOs (docs/contracts.md)."""

from __future__ import annotations

import os


def pytest_configure(config):
    """The pact core must not phone home from tests or CI."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
