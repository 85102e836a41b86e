"""What the consumer tests share: example values, matchers, and the real adapters pointed at a Pact mock.

Examples are what the mock server answers; matchers say which part of a value the consumer relies on (its
type or shape), so the provider may answer any value of that shape. Values only the provider can know (ids it
created, tokens it trusts) come from provider state: the verifier asks the provider's state handler for them and
injects them into the replayed request (`from_state`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from pact import generate, match
from pact.match.matcher import GenericMatcher

from shared.auth.tokens import TokenIssuer, jwks
from shared.http.client import Dependency, ServiceClient, make_http_client
from shared.service.runtime import ServiceRuntime
from shared.settings import Settings

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?$"
USER_ID = "0190f1c2-5a1e-7c3d-9e4f-0a1b2c3d4e5f"
IMAGE_ID = "0190f1c2-6b2f-7d4e-8f50-1b2c3d4e5f60"
USER_TOKEN = "example.user.token"  # only the mock sees it: the verifier sends one the provider issued
SERVICE_TOKEN = "example.service.token"
PNG = Path(__file__).resolve().parents[3] / "contracts" / "fixtures" / "cat.png"
CREATED_AT = "2024-06-01T12:00:00.000000+00:00"


def from_state(example: str, expression: str, regex: str = r"^.+$") -> GenericMatcher:
    """A value the provider's state handler supplies at verification (`${name}`); `example` for the mock."""
    return GenericMatcher("regex", value=example, regex=regex, generator=generate.provider_state(expression))


def bearer(name: str = "user_token", example: str = USER_TOKEN) -> GenericMatcher:
    """`Authorization: Bearer <token>`, the token being one the provider issued or trusts."""
    return from_state(f"Bearer {example}", f"Bearer ${{{name}}}", r"^Bearer \S+$")


def path(template: str, **examples: str) -> GenericMatcher:
    """A path with ids from provider state: path("/v1/images/{image_id}", image_id=IMAGE_ID)."""
    example = template.format(**examples)
    expression = template.format(**{name: f"${{{name}}}" for name in examples})
    regex = "^" + template.format(**{name: "[0-9a-f-]{36}" for name in examples}) + "$"
    return from_state(example, expression, regex)


def uuid(example: str = IMAGE_ID) -> GenericMatcher:
    return match.uuid(example)


def timestamp() -> GenericMatcher:
    return match.regex(CREATED_AT, regex=DATETIME)


def problem(code: str) -> dict:
    """The part of a problem+json answer that error_from_response() maps back to a domain error: `type`."""
    return {"type": match.regex(f"https://twintag.dev/problems/{code}", regex=rf"^.*/{code}$")}


def image(**extra) -> dict:
    """The fields image_from_json() reads from an uploads answer (nothing else: `tags` is not read)."""
    return {"id": uuid(), "status": match.regex("pending", regex=r"^(pending|processing|done|failed)$"),
            "filename": match.str("cat.png"), "content_type": match.regex("image/png", regex=r"^image/(png|jpeg)$"),
            "width": match.int(8), "height": match.int(6), "size_bytes": match.int(77), "created_at": timestamp(),
            **extra}


@contextmanager
def service_client(name: str, url: str) -> Iterator[ServiceClient]:
    """The client every service uses for one dependency, pointed at the mock (no retries: a mismatch is final)."""
    http = make_http_client(timeout=5.0)
    try:
        yield ServiceClient(Dependency(name, url, timeout=5.0, retries=0), http)
    finally:
        http.close()


@contextmanager
def runtime(name: str, **settings: str) -> Iterator[ServiceRuntime]:
    """A service's real ServiceRuntime (its clients, token checks, service tokens, pings) with these settings."""
    service_runtime = ServiceRuntime(name, Settings(**settings))
    try:
        yield service_runtime
    finally:
        service_runtime.close()


_APP = Flask("consumer-contract-tests")


@contextmanager
def user_request(token: str = USER_TOKEN) -> Iterator[None]:
    """Inside the gateway serving a user's request (the adapters forward the user's own token)."""
    with _APP.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        yield


def fixed_authorization(token: str = SERVICE_TOKEN):
    """A service's outbound token source (ServiceTokens.authorization), fixed for the mock."""
    return lambda audience: f"Bearer {token}"


MULTIPART_BOUNDARY = "twintag-contract-boundary"


def multipart_file(field: str, filename: str, data: bytes, content_type: str) -> bytes:
    """One file in a multipart/form-data body, as an HTTP client would frame it."""
    head = (f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()


# --- the users service, as every other service sees it: token keys and service tokens -----------------------

# An example key pair (fixed seed) so the JWKS example is a real key a verifier can check tokens with.
EXAMPLE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EXAMPLE_SECRET = "example-secret"


def token_keys_interaction(pact) -> None:
    """GET /.well-known/jwks.json: what TokenVerifier needs from each key (PyJWKSet reads kty, crv, x, kid)."""
    example = jwks([EXAMPLE_KEY.public_key()])["keys"][0]
    (pact.upon_receiving("a request for the token keys").with_request("GET", "/.well-known/jwks.json")
     .will_respond_with(200)
     .with_body({"keys": match.each_like({"kty": "OKP", "crv": "Ed25519", "x": match.str(example["x"]),
                                          "kid": match.str(example["kid"])})}, "application/json"))


def subject_checked_with_fetched_keys(service_runtime: ServiceRuntime, subject: str, audience: str) -> str:
    """Sign a token with the example key; check it as the runtime does, with the keys it fetches from users."""
    token = TokenIssuer(EXAMPLE_KEY, issuer="twintag", audience=audience, ttl_seconds=60).issue(subject).access_token
    verifier = service_runtime.user_tokens() if audience == "twintag" else service_runtime.service_tokens()
    return verifier.subject(token)


def service_token_interaction(pact, client_id: str, audience: str) -> None:
    """POST /v1/service-tokens with this deployment's secret for the caller (supplied by the users service's state)."""
    (pact.upon_receiving(f"a request for a service token to call {audience}")
     .given("the calling service has a secret", client_id=client_id)
     .with_request("POST", "/v1/service-tokens")
     .with_body({"client_id": client_id, "client_secret": from_state(EXAMPLE_SECRET, "${client_secret}"),
                 "audience": audience}, "application/json")
     .will_respond_with(200)
     .with_body({"access_token": match.str("eyJ.example.service"), "expires_in": match.int(600)},
                "application/json"))
