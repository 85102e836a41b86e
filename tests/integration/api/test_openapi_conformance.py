"""The public API keeps its contract: schemathesis drives every documented operation of the real monolith."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from monolith.app import OPENAPI_PATH, create_app
from monolith.bootstrap import prepare
from shared.settings import settings_in
from tests.support.app import AuthActions

OPENAPI_URL = "/api/v1/openapi.json"
SEED = 20240601  # fixed, so CI replays the same requests
CONFIG = {"seed": SEED, "generation": {"deterministic": True}}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One monolith on SQLite in a temp dir, and the bearer header of a user registered once."""
    app = create_app(prepared(settings_in(tmp_path_factory.mktemp("conformance") / "data")))
    headers = AuthActions(app.test_client()).headers("schema@example.com", "correct horse")
    MONOLITH.target = app
    yield app, headers
    MONOLITH.target = None
    app.extensions["twintag.monolith"].engine.dispose()


def prepared(settings):
    """Create the tables and return the settings."""
    prepare(settings)
    return settings


class Monolith:
    """A WSGI app that forwards to the module's monolith, which a fixture builds later in a temp dir."""

    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


MONOLITH = Monolith()
# The file the app serves, loaded at import so each operation is its own test; sent in-process, like from_wsgi.
schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=schemathesis.Config.from_dict(CONFIG))
schema.app = MONOLITH


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_answers_as_the_contract_says(case, served):
    case.call_and_validate(headers=served[1])


def test_the_document_is_a_valid_openapi_3_1_description(served):
    loaded = schemathesis.openapi.from_wsgi(OPENAPI_URL, served[0])
    assert loaded.raw_schema["openapi"].startswith("3.1")
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) >= 10


def flask_routes(app) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) for every Flask rule, HEAD and OPTIONS left out."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented(document: dict) -> set[tuple[str, str]]:
    """(METHOD, path) for every operation in the document."""
    verbs = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {(m.upper(), path) for path, item in document["paths"].items() for m in item if m in verbs}


def test_every_api_route_is_documented_and_every_documented_route_exists(served):
    app = served[0]
    document = app.test_client().get(OPENAPI_URL).get_json()
    routes, contract = flask_routes(app), documented(document)
    undocumented = {r for r in routes if r[1].startswith("/api/v1/")} - contract
    assert not undocumented, f"routes missing from openapi.yaml: {sorted(undocumented)}"
    assert not contract - routes, f"documented but not served: {sorted(contract - routes)}"
