"""The pact files in contracts/pacts/ are well-formed, and drift between them and the consumer tests is explained."""

from __future__ import annotations

import json

import pytest

from twintag.contracts import PACTS_DIR, pact_drift, pact_files

pytestmark = pytest.mark.contracts


def test_every_pact_file_is_a_v4_pact_named_after_its_consumer_and_provider():
    pacts = pact_files()
    assert pacts
    for pact in pacts:
        body = json.loads(pact.path.read_text())
        assert pact.path.name == f"{pact.consumer}-{pact.provider}.json"
        assert body["metadata"]["pactSpecification"]["version"].startswith("4.")
        descriptions = [i["description"] for i in pact.interactions]
        assert descriptions and len(descriptions) == len(set(descriptions)), pact.path.name


def test_drift_names_each_new_missing_and_changed_interaction(tmp_path):
    committed = PACTS_DIR / "gateway-uploads.json"
    body = json.loads(committed.read_text())
    removed = body["interactions"].pop(0)
    body["interactions"][0]["response"]["status"] = 299
    added = {**removed, "description": "a brand new request"}
    body["interactions"].append(added)
    recorded = tmp_path / "gateway-uploads.json"
    recorded.write_text(json.dumps(body))
    changes = "\n".join(pact_drift(recorded, committed))
    assert "new interaction 'a brand new request'" in changes
    assert f"interaction no longer recorded '{removed['description']}'" in changes
    assert f"changed interaction '{body['interactions'][0]['description']}'" in changes
    assert pact_drift(committed, committed) == []
