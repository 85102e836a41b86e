"""Row 19: every route of every service, called on its own port (bypassing the gateway), checks its caller."""

from __future__ import annotations

import base64
import importlib
import json
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.domain.ids import new_id
from shared.settings import settings_in
from tests.support.blackbox import ApiUser
from tests.support.images import solid
from tests.support.live import start_stack
from twintag.stacks import SERVICES

pytestmark = [pytest.mark.system]

PUBLIC, USER = "public", "user"
# Who may call each route: anyone, a user (token for "twintag"), or these services (token for this service).
EXPECTED = {
    **{(name, "GET", rule): PUBLIC for name in SERVICES for rule in ("/healthz", "/readyz", "/metrics")},
    ("users", "POST", "/v1/users"): PUBLIC, ("users", "POST", "/v1/tokens"): PUBLIC,
    ("users", "POST", "/v1/service-tokens"): PUBLIC, ("users", "GET", "/.well-known/jwks.json"): PUBLIC,
    ("users", "GET", "/v1/users/me"): USER,
    **{("uploads", method, rule): USER for method, rule in [
        ("POST", "/v1/images"), ("GET", "/v1/images"), ("GET", "/v1/images/<image_id>"),
        ("GET", "/v1/images/<image_id>/content"), ("DELETE", "/v1/images/<image_id>")]},
    **{("uploads", method, rule): ("recognition",) for method, rule in [
        ("POST", "/v1/recognition/images/<image_id>/start"), ("GET", "/v1/recognition/images/<image_id>/content"),
        ("PUT", "/v1/recognition/images/<image_id>/status")]},
    ("recognition", "POST", "/v1/jobs"): ("uploads",),
    ("results", "PUT", "/v1/results/<image_id>"): ("recognition",),
    ("results", "DELETE", "/v1/recognition/results/<image_id>"): ("recognition",),
    **{("results", method, rule): USER for method, rule in [
        ("GET", "/v1/results"), ("GET", "/v1/images-by-tag"), ("GET", "/v1/tags"),
        ("DELETE", "/v1/results/<image_id>")]},
}
GRANTS = [("uploads", "recognition"), ("recognition", "uploads"), ("recognition", "results")]  # CALLS_ALLOWED


def served_routes() -> list[tuple[str, str, str]]:
    """(service, method, rule) of every route in each service's real app, read from its url_map."""
    routes = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SERVICES:
            bootstrap = importlib.import_module(f"microservices.{name}.bootstrap")
            service = bootstrap.bootstrap(settings_in(Path(tmp) / name, database_name=name))
            try:
                app = importlib.import_module(f"microservices.{name}.app").create_app(service.settings, service)
                routes += [(name, method, rule.rule) for rule in app.url_map.iter_rules()
                           for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
            finally:
                service.engine.dispose()
                if hasattr(service, "runtime"):
                    service.runtime.close()
    return routes


ROUTES = served_routes()
PROTECTED = [r for r in ROUTES if EXPECTED.get(r) != PUBLIC]  # an unclassified route must be protected too
SERVICE_ONLY = [r for r in PROTECTED if isinstance(EXPECTED.get(r), tuple)]
USER_ROUTES = [r for r in PROTECTED if EXPECTED.get(r) == USER]
route_id = "{0[0]} {0[1]} {0[2]}".format


@dataclass
class World:
    """The running stack, two users, Alice's recognized image and real service tokens."""

    stack: object
    http: httpx.Client
    alice: ApiUser
    bob: ApiUser
    alice_id: str
    image_id: str
    tokens: dict[tuple[str, str], str]
    kid: str

    def call(self, route, token: str | None, image_id: str | None = None) -> httpx.Response:
        """Call the route on its service's own port, with the id in the path and the query."""
        name, method, rule = route
        image_id = image_id or self.image_id
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        params = {"ids": image_id, "image_ids": image_id, "label": "red"}
        return self.http.request(method, self.stack.url_of(name) + re.sub(r"<[^>]+>", image_id, rule),
                                 headers=headers, params=params, json={} if method in ("POST", "PUT") else None)

    def claims_for(self, route) -> dict:
        """The claims a legitimate caller's token would carry."""
        kind, now = EXPECTED.get(route, USER), int(time.time())
        subject, audience = (f"service:{kind[0]}", route[0]) if isinstance(kind, tuple) else (self.alice_id, "twintag")
        return {"sub": subject, "aud": audience, "iss": "twintag", "iat": now, "exp": now + 600}


@pytest.fixture(scope="module")
def world(tmp_path_factory, model_cache):
    stack = start_stack("microservices", tmp_path_factory.mktemp("security"), model_cache)
    http = httpx.Client(timeout=30.0)
    alice, bob = ApiUser(stack.base_url), ApiUser(stack.base_url)
    try:
        image_id = alice.upload(solid("red")).json()["id"]
        assert alice.wait_until_finished(image_id)["status"] == "done"
        tokens = {}
        for caller, audience in GRANTS:
            secret = stack.specs[caller].env["TWINTAG_SERVICE_SECRET"]
            grant = http.post(stack.url_of("users") + "/v1/service-tokens",
                              json={"client_id": caller, "client_secret": secret, "audience": audience})
            tokens[caller, audience] = grant.raise_for_status().json()["access_token"]
        kid = http.get(stack.url_of("users") + "/.well-known/jwks.json").json()["keys"][0]["kid"]
        alice_id = alice.http.get("/api/v1/users/me").json()["id"]
        yield World(stack, http, alice, bob, alice_id, image_id, tokens, kid)
    finally:
        for closeable in (alice, bob, http):
            closeable.close()
        stack.stop_everything()


def user_token(user: ApiUser) -> str:
    return user.http.headers["Authorization"].removeprefix("Bearer ")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def forge(world: World, route, kind: str) -> str:
    claims = world.claims_for(route)
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': world.kid})}.{_b64(claims)}."
    if kind == "other_key":
        return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": world.kid})
    header, _payload, signature = user_token(world.alice).split(".")  # a real signature over other claims
    return f"{header}.{_b64(claims)}.{signature}"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_every_route_of_every_service_is_classified(route):
    assert route in EXPECTED, f"new route {route}: add who may call it to EXPECTED"


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_no_token_is_401(world, route):
    assert world.call(route, None).status_code == 401


@pytest.mark.parametrize("route", SERVICE_ONLY, ids=route_id)
def test_a_user_token_on_a_service_only_route_is_401(world, route):
    assert world.call(route, user_token(world.alice)).status_code == 401


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_service_token_for_another_audience_is_401(world, route):
    misdirected = {grant: token for grant, token in world.tokens.items()
                   if EXPECTED.get(route) == USER or grant[1] != route[0]}
    assert misdirected
    assert {grant: world.call(route, token).status_code for grant, token in misdirected.items()} == \
        dict.fromkeys(misdirected, 401)


@pytest.mark.parametrize("kind", ["alg_none", "other_key", "tampered"])
@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_forged_token_is_401(world, route, kind):
    assert world.call(route, forge(world, route, kind)).status_code == 401


@pytest.mark.parametrize("route", [r for r in PROTECTED if r in EXPECTED], ids=route_id)
def test_the_right_caller_gets_past_the_check(world, route):
    kind = EXPECTED[route]
    token = user_token(world.alice) if kind == USER else world.tokens[kind[0], route[0]]
    assert world.call(route, token, image_id=new_id()).status_code in (200, 202, 204, 404, 422)


@pytest.mark.parametrize("route", USER_ROUTES, ids=route_id)
def test_another_users_token_never_reaches_alices_image(world, route):
    response = world.call(route, user_token(world.bob))
    if "<image_id>" in route[2] and route[0] == "uploads":
        assert response.status_code == 404
    assert response.status_code in (200, 204, 404, 422) and world.image_id not in response.text
    image = world.alice.http.get(f"/api/v1/images/{world.image_id}").json()
    assert image["status"] == "done" and image["tags"]
