"""Each service keeps its provider contract: schemathesis drives every operation of microservices/<svc>/openapi.yaml.

In-process: each service's real app on SQLite in a temp dir, called through WSGI with real tokens (the users
service's own; for the others, the contract-test key). Operations marked `service` get a token for the first
caller in `x-twintag-callers`, `user` operations a user's token.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from tests.contracts.services import build
from tests.support.openapi import (
    CONFIG,
    LateApp,
    documented,
    flask_routes,
    map_query,
    register_image_media_types,
)

pytestmark = pytest.mark.contracts
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("users", "uploads", "recognition", "results")
USER_ID = "0190f1c2-5a1e-7c3d-9e4f-0a1b2c3d4e5f"
EXAMPLES = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

register_image_media_types()


def document_path(name: str) -> Path:
    return ROOT / "microservices" / name / "openapi.yaml"


def filter_query(context, query):
    """uploads' GET /v1/images takes either `ids` or a page's parameters, never both (with ids the rest is ignored)."""
    return not ("ids" in (query or {}) and len(query) > 1)


APPS = {name: LateApp() for name in SERVICES}
SCHEMAS = {}
for _name in SERVICES:  # loaded at import so that each operation is its own test
    SCHEMAS[_name] = schemathesis.openapi.from_path(document_path(_name), config=CONFIG)
    SCHEMAS[_name].app = APPS[_name]
    SCHEMAS[_name].hook(map_query)
SCHEMAS["uploads"].hook(filter_query)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """All four services, and a user registered with the users service (its token works everywhere)."""
    data = tmp_path_factory.mktemp("service-contracts")
    services = {name: build(name, data, service_secrets="uploads:uploads-secret,recognition:recognition-secret")
                for name in SERVICES}
    users = services["users"].app.test_client()
    credentials = {"email": "contract@example.com", "password": "correct horse"}
    assert users.post("/v1/users", json=credentials).status_code == 201
    token = users.post("/v1/tokens", json=credentials).get_json()["access_token"]
    for name, service in services.items():
        APPS[name].target = service.app
    yield {"services": services, "users_token": token}
    for name, service in services.items():
        APPS[name].target = None
        service.close()


def headers_for(built: dict, name: str, case) -> dict:
    """The token an operation's `security` asks for."""
    raw = case.operation.definition.raw
    schemes = {scheme for requirement in raw.get("security", []) for scheme in requirement}
    service = built["services"][name]
    if "service" in schemes:
        return service.service_headers(raw["x-twintag-callers"][0])
    if "user" in schemes:
        token = built["users_token"] if name == "users" else service.keys.user_token(USER_ID)
        return {"Authorization": f"Bearer {token}"}
    return {}


@SCHEMAS["users"].parametrize()
@EXAMPLES
def test_users_answers_as_its_document_says(case, built):
    case.call_and_validate(headers=headers_for(built, "users", case))


@SCHEMAS["uploads"].parametrize()
@EXAMPLES
def test_uploads_answers_as_its_document_says(case, built):
    case.call_and_validate(headers=headers_for(built, "uploads", case))


@SCHEMAS["recognition"].parametrize()
@EXAMPLES
def test_recognition_answers_as_its_document_says(case, built):
    case.call_and_validate(headers=headers_for(built, "recognition", case))


@SCHEMAS["results"].parametrize()
@EXAMPLES
def test_results_answers_as_its_document_says(case, built):
    case.call_and_validate(headers=headers_for(built, "results", case))


@pytest.mark.parametrize("name", SERVICES)
def test_the_document_describes_every_route_and_carries_the_service_version(name, built):
    document = yaml.safe_load(document_path(name).read_text())
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["version"] == importlib.import_module(f"microservices.{name}").VERSION
    routes = {(m, p) for m, p in flask_routes(built["services"][name].app) if not p.startswith("/static")}
    contract = documented(document)
    assert routes == contract, f"served but not documented: {sorted(routes - contract)}; " \
                               f"documented but not served: {sorted(contract - routes)}"
