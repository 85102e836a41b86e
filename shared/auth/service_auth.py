"""Service-to-service credentials: the users service issues short tokens to services (client credentials)."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping

from shared.auth.tokens import TokenGrant, TokenIssuer
from shared.domain.errors import Unauthorized

# Who may call whom: the audience a calling service may ask a token for. Anything else is refused.
CALLS_ALLOWED: Mapping[str, frozenset[str]] = {
    "uploads": frozenset({"recognition"}),
    "recognition": frozenset({"uploads", "results"}),
    "gateway": frozenset(),
}
SERVICE_TOKEN_TTL = 600
SERVICE_SUBJECT_PREFIX = "service:"


def parse_secrets(text: str) -> dict[str, str]:
    """Parse `name:secret,name:secret` (the users service's TWINTAG_SERVICE_SECRETS)."""
    pairs = (item.split(":", 1) for item in text.split(",") if ":" in item)
    return {name.strip(): secret.strip() for name, secret in pairs if secret.strip()}


class ServiceCredentials:
    """The users service's side: check a service's secret and issue it a token for one audience."""

    def __init__(self, secrets: Mapping[str, str], issuer: TokenIssuer):
        self.secrets, self.issuer = dict(secrets), issuer

    def issue(self, client_id: object, client_secret: object, audience: object) -> TokenGrant:
        """Return a token for `client_id` to call `audience`, or raise Unauthorized."""
        known = self.secrets.get(client_id) if isinstance(client_id, str) else None
        if known is None or not isinstance(client_secret, str) or \
                not hmac.compare_digest(known.encode(), client_secret.encode()):
            raise Unauthorized("Unknown service or wrong secret.")
        if audience not in CALLS_ALLOWED.get(client_id, frozenset()):
            raise Unauthorized(f"Service {client_id} may not call {audience}.")
        return self.issuer.issue(SERVICE_SUBJECT_PREFIX + client_id, audience=audience, ttl=SERVICE_TOKEN_TTL)


class ServiceTokens:
    """A calling service's side: fetch tokens from the users service and reuse them until shortly before expiry."""

    def __init__(self, fetch, client_id: str, secret: str, clock=time.monotonic):
        self._fetch, self.client_id, self.secret, self.clock = fetch, client_id, secret, clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def authorization(self, audience: str) -> str:
        """Return an `Authorization` header value for calling `audience`."""
        with self._lock:
            token, expires = self._cache.get(audience, ("", 0.0))
            if self.clock() > expires - 60:
                grant = self._fetch(self.client_id, self.secret, audience)
                token, expires = grant["access_token"], self.clock() + grant["expires_in"]
                self._cache[audience] = (token, expires)
            return f"Bearer {token}"


def calling_service(subject: str, allowed: frozenset[str]) -> str:
    """Return the calling service's name from a verified token subject, or raise Unauthorized."""
    name = subject.removeprefix(SERVICE_SUBJECT_PREFIX)
    if not subject.startswith(SERVICE_SUBJECT_PREFIX) or name not in allowed:
        raise Unauthorized("This endpoint is for other TwinTag services only.")
    return name
