"""Contract tests: provider contracts (OpenAPI, message schemas), consumer-driven pacts, SLOs (docs/contracts.md)."""

from __future__ import annotations

import os

MARKER = "contracts: contract tests (OpenAPI conformance, pacts, provider verification, SLOs)"


def pytest_configure(config):
    """Register the marker here too, so this folder runs even before pyproject.toml lists it."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # the pact core must not phone home from tests or CI
    if not any(line.split(":")[0].strip() == "contracts" for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER)
