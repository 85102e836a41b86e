"""The test-mode stand-in for the users service's signing key, for providers that verify tokens through JWKS.

A provider under verification runs alone: no users service to fetch keys from. In contract test mode it checks
tokens with a key made at start-up instead; the provider-state handlers mint real, short-lived tokens with it
and hand them to the verifier, which injects them into the replayed requests. Everything else about the check is
the provider's own code (signature, issuer, audience, expiry, which callers `service_required` allows). Where the
keys normally come from (users' JWKS) is itself a pact: `<service>-users.json`, "a request for the token keys".
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.service_auth import SERVICE_SUBJECT_PREFIX
from shared.auth.tokens import TokenIssuer, TokenVerifier, jwks
from shared.service.auth import CallerChecks
from shared.settings import Settings

TOKEN_SECONDS = 600


class TestKeys:
    """A signing key that lives only in this process's memory, never on disk or in the repository."""

    __test__ = False  # not a pytest test class

    def __init__(self, settings: Settings):
        key = Ed25519PrivateKey.generate()
        self.issuer = TokenIssuer(key, issuer=settings.token_issuer, audience=settings.token_audience,
                                  ttl_seconds=TOKEN_SECONDS)
        self.key_set = jwks([key.public_key()])
        self.settings = settings

    def user_token(self, user_id: str) -> str:
        """A user's access token (audience twintag)."""
        return self.issuer.issue(user_id).access_token

    def service_token(self, caller: str, audience: str) -> str:
        """A token issued to `caller` for calling `audience`, as the users service would issue it."""
        return self.issuer.issue(SERVICE_SUBJECT_PREFIX + caller, audience=audience).access_token

    def caller_checks(self, service: str) -> CallerChecks:
        """The provider's caller checks, with this key in place of the users service's JWKS."""
        issuer = self.settings.token_issuer
        users = TokenVerifier(self.key_set, issuer=issuer, audience=self.settings.token_audience)
        services = TokenVerifier(self.key_set, issuer=issuer, audience=service)
        return CallerChecks(users.subject, services.subject)
