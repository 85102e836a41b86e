"""What a service needs to talk to the others: one pooled HTTP client, dependencies, token checks, service tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from shared.auth.service_auth import ServiceTokens
from shared.auth.tokens import TokenVerifier
from shared.clients.users import UsersClient
from shared.http.client import Dependency, ServiceClient, make_http_client
from shared.service.auth import CallerChecks
from shared.settings import Settings


@dataclass
class ServiceRuntime:
    """Per-process connections to other services, made once from settings."""

    name: str
    settings: Settings
    http: httpx.Client = field(default=None)
    _clients: dict[str, ServiceClient] = field(default_factory=dict)

    def __post_init__(self):
        if self.http is None:
            self.http = make_http_client(timeout=self.settings.http_timeout)

    def client(self, dependency: str) -> ServiceClient:
        """The client (and circuit breaker) for one dependency, by service name."""
        if dependency not in self._clients:
            url = getattr(self.settings, f"{dependency}_url").rstrip("/")
            self._clients[dependency] = ServiceClient(Dependency(dependency, url, self.settings.http_timeout),
                                                      self.http)
        return self._clients[dependency]

    def users(self) -> UsersClient:
        return UsersClient(self.client("users"))

    def user_tokens(self) -> TokenVerifier:
        """Checks users' tokens with the keys the users service publishes (fetched on first use)."""
        return TokenVerifier(self.users().jwks, issuer=self.settings.token_issuer,
                             audience=self.settings.token_audience)

    def service_tokens(self) -> TokenVerifier:
        """Checks tokens that other services obtained for calling this one."""
        return TokenVerifier(self.users().jwks, issuer=self.settings.token_issuer, audience=self.name)

    def caller_checks(self) -> CallerChecks:
        """How this service checks its callers: users' tokens and other services' tokens for it."""
        return CallerChecks(self.user_tokens().subject, self.service_tokens().subject)

    def outbound_tokens(self) -> ServiceTokens:
        """Obtains this service's own tokens for calling others."""
        return ServiceTokens(self.users().service_token, self.name, self.settings.service_secret)

    def ping(self, dependency: str):
        """A readiness check: the dependency's /healthz answers."""
        return lambda: self.client(dependency).call("GET", "/healthz")

    def close(self) -> None:
        self.http.close()
