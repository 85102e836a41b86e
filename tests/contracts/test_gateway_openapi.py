"""The public API keeps its contract in the microservices variant too: schemathesis drives the gateway.

tests/integration/api/test_openapi_conformance.py does the same for the monolith. Here the gateway runs
in-process (WSGI) in front of the real users, uploads and results services, each on loopback HTTP with its own
SQLite database; tokens are real, issued by the users service and checked everywhere with its JWKS.
microservices/gateway/openapi.yaml lists only what the gateway adds to the public contract
(shared/api/openapi.yaml); the two are merged into one document here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from microservices.gateway import VERSION
from microservices.gateway.app import create_app
from shared.settings import settings_in
from tests.contracts.services import build
from tests.support.app import AuthActions
from tests.support.loopback import LoopbackServer
from tests.support.openapi import (
    CONFIG,
    LateApp,
    documented,
    flask_routes,
    map_query,
    register_image_media_types,
)

pytestmark = pytest.mark.contracts
DOCUMENT = Path(__file__).resolve().parents[2] / "microservices" / "gateway" / "openapi.yaml"
PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "api" / "openapi.yaml"
NOT_RUNNING = "http://127.0.0.1:9"  # recognition: the gateway only pings it for /readyz


def gateway_contract() -> dict:
    """The public contract plus the gateway's own operations: everything the gateway promises to serve."""
    document, public = yaml.safe_load(DOCUMENT.read_text()), yaml.safe_load(PUBLIC.read_text())
    assert document["x-twintag-serves-public-api"] is True
    return {**public, "info": document["info"], "paths": {**public["paths"], **document["paths"]}}


register_image_media_types()
GATEWAY = LateApp()
schema = schemathesis.openapi.from_dict(gateway_contract(), config=CONFIG)
schema.app = GATEWAY
schema.hook(map_query)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """The gateway in front of real users, uploads and results services, and a registered user's header."""
    data = tmp_path_factory.mktemp("gateway-contract")
    users = build("users", data)
    users_server = LoopbackServer(users.app)
    others = {name: build(name, data, test_key=False, users_url=users_server.url) for name in ("uploads", "results")}
    servers = {name: LoopbackServer(service.app) for name, service in others.items()}
    settings = settings_in(data / "gateway", database_name="gateway", users_url=users_server.url,
                           uploads_url=servers["uploads"].url, results_url=servers["results"].url,
                           recognition_url=NOT_RUNNING)
    app = create_app(settings)
    GATEWAY.target = app
    headers = AuthActions(app.test_client()).headers("gateway-contract@example.com", "correct horse")
    yield app, headers
    GATEWAY.target = None
    app.extensions["twintag.gateway"].runtime.close()
    for server in (*servers.values(), users_server):
        server.close()
    for service in (*others.values(), users):
        service.close()


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_the_gateway_answers_as_the_public_contract_says(case, gateway):
    case.call_and_validate(headers=gateway[1])


def test_the_gateway_document_covers_the_whole_public_api_and_carries_its_version():
    document, public = yaml.safe_load(DOCUMENT.read_text()), yaml.safe_load(PUBLIC.read_text())
    assert document["info"]["version"] == VERSION
    assert documented(public) <= documented(gateway_contract()), "every public operation must be served"
    assert not documented(document) & documented(public), "the gateway's own document must not redefine them"


def test_every_gateway_route_is_documented(gateway):
    api = re.compile(r"^(/api/v1/|/\.well-known/|/healthz$|/readyz$|/metrics$)")
    routes = {(m, p) for m, p in flask_routes(gateway[0]) if api.match(p)}
    contract = documented(gateway_contract())
    assert routes == contract, f"served, undocumented: {sorted(routes - contract)}; " \
                               f"documented, not served: {sorted(contract - routes)}"
