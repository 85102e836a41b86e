"""The public API keeps its contract: schemathesis drives every documented operation of the real monolith."""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR  # the OpenAPI 3.1 meta-schema

from monolith.app import create_app
from monolith.bootstrap import prepare
from shared.api.public import OPENAPI_PATH
from shared.settings import settings_in
from tests.support.app import AuthActions
from tests.support.openapi import CONFIG, LateApp, documented, flask_routes, map_query, register_image_media_types

OPENAPI_URL = "/api/v1/openapi.json"
# CONFIG (tests/support/openapi.py): a fixed seed and deterministic generation, so CI sends the same requests on
# every run; no generated Authorization (the tests send a real token); unknown parameters are ignored by design.
register_image_media_types()  # the upload's `encoding` names these types: send real images, not random bytes

MONOLITH = LateApp()
# The very file the app serves (test_the_app_serves_the_document_in_openapi_yaml), loaded at import so that each
# operation is its own test; requests go in-process through MONOLITH, as schemathesis.openapi.from_wsgi does.
# (pytest 9 removed the Item._nodeid that schemathesis.pytest.from_fixture rewrites, so no fixture-loaded schema.)
schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=CONFIG)
schema.app = MONOLITH
schema.hook(map_query)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One monolith on SQLite in a temp dir, and the bearer header of a user registered once."""
    settings = settings_in(tmp_path_factory.mktemp("conformance") / "data")
    prepare(settings)
    app = create_app(settings)
    headers = AuthActions(app.test_client()).headers("schema@example.com", "correct horse")
    MONOLITH.target = app
    yield app, headers
    MONOLITH.target = None
    app.extensions["twintag.monolith"].engine.dispose()


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_answers_as_the_contract_says(case, served):
    case.call_and_validate(headers=served[1])


def test_the_app_serves_the_document_in_openapi_yaml(served):
    loaded = schemathesis.openapi.from_wsgi(OPENAPI_URL, served[0], config=CONFIG)
    assert loaded.raw_schema == yaml.safe_load(OPENAPI_PATH.read_text())


def test_the_document_is_a_valid_openapi_3_1_description():
    loaded = schemathesis.openapi.from_path(OPENAPI_PATH, config=CONFIG)
    assert loaded.raw_schema["openapi"].startswith("3.1.")
    assert [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(loaded.raw_schema)] == []
    operations = [result.ok() for result in loaded.get_all_operations()]  # .ok() raises on a broken operation
    assert {op.label for op in operations} == {f"{m.upper()} {p}" for m, p in documented(loaded.raw_schema)}


def test_every_api_route_is_documented_and_every_documented_operation_is_served(served):
    routes, contract = flask_routes(served[0]), documented(yaml.safe_load(OPENAPI_PATH.read_text()))
    undocumented = {(m, p) for m, p in routes if p.startswith("/api/v1/")} - contract
    assert not undocumented, f"routes missing from openapi.yaml: {sorted(undocumented)}"
    assert not contract - routes, f"documented but not served: {sorted(contract - routes)}"
