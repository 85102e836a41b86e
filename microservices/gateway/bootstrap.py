"""Builds the gateway's object graph: every port of the public API gets its HTTP adapter."""

from __future__ import annotations

from dataclasses import dataclass

from shared.api.ports import PublicPorts
from shared.clients.cached_results import CachedResults
from shared.clients.results import ResultsClient
from shared.clients.uploads import UploadsClient
from shared.service.runtime import ServiceRuntime
from shared.settings import Settings


@dataclass
class Gateway:
    """The gateway's collaborators: no database, only other services."""

    settings: Settings
    runtime: ServiceRuntime

    def ports(self) -> PublicPorts:
        """The public API's ports, each one a service over HTTP (compare monolith/bootstrap.py)."""
        runtime = self.runtime
        checks = {name: runtime.ping(name) for name in ("users", "uploads", "results")}  # what it calls
        results = ResultsClient(runtime.client("results"))
        if self.settings.gateway_tag_cache > 0:
            results = CachedResults(results, self.settings.gateway_tag_cache)
        return PublicPorts(runtime.users(), UploadsClient(runtime.client("uploads")), results,
                           runtime.user_tokens().subject, readiness_checks=checks)


def bootstrap(settings: Settings) -> Gateway:
    """Build the gateway (connections open lazily)."""
    return Gateway(settings, ServiceRuntime("gateway", settings))
