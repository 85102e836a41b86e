"""Messages sent through an outbox or a queue keep their JSON Schemas (microservices/<svc>/schemas/*.json).

For each message: the schema is valid, the real producer's messages match it, and the receiving side documents
(and accepts) what the producer sends.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
import yaml

from shared.api.context import accept_request_id, clear_request_id
from shared.clients.results import ResultsDeliveryClient
from shared.domain.errors import InvalidInput
from shared.http.client import Dependency, ServiceClient
from shared.recognition.recognizer import Recognition, TagScore
from shared.results.wire import recognition_from_json
from tests.contracts.services import build

pytestmark = pytest.mark.contracts
ROOT = Path(__file__).resolve().parents[2]
OUTBOX_JOB = ROOT / "microservices/uploads/schemas/recognition-job.json"
QUEUED_JOB = ROOT / "microservices/recognition/schemas/recognition-job.json"
DELIVERY = ROOT / "microservices/recognition/schemas/result-delivery.json"
PNG = (ROOT / "contracts/fixtures/cat.png").read_bytes()
OWNER_ID = "0190f1c2-5a1e-7c3d-9e4f-0a1b2c3d4e5f"


def schema(path: Path) -> dict:
    return json.loads(path.read_text())


def validator(path: Path):
    return jsonschema_rs.validator_for(schema(path))


def openapi_schema(service: str, name: str) -> dict:
    document = yaml.safe_load((ROOT / "microservices" / service / "openapi.yaml").read_text())
    return document["components"]["schemas"][name]


@pytest.mark.parametrize("path", sorted(ROOT.glob("microservices/*/schemas/*.json")),
                         ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_each_schema_is_valid_and_its_examples_match_it(path):
    document = schema(path)
    jsonschema_rs.meta.validate(document)
    assert document["$schema"].endswith("/2020-12/schema") and document["examples"]
    for example in document["examples"]:
        jsonschema_rs.validator_for(document).validate(example)


def test_an_upload_writes_the_outbox_row_its_schema_describes(tmp_path):
    uploads = build("uploads", tmp_path)
    try:
        accept_request_id("trace-me-1")
        try:
            uploads.service.catalog.accept(OWNER_ID, PNG, "cat.png", None)
        finally:
            clear_request_id()
        uploads.service.catalog.accept(OWNER_ID, PNG, "dog.png", None)  # no request id: null
        rows = uploads.service.outbox.claim("contract-test", limit=10)
    finally:
        uploads.close()
    assert len(rows) == 2
    for row in rows:
        validator(OUTBOX_JOB).validate(row.payload)


def test_recognition_queues_the_job_its_schema_describes(tmp_path):
    recognition = build("recognition", tmp_path)
    try:
        client = recognition.app.test_client()
        for example in schema(OUTBOX_JOB)["examples"]:
            headers = {**recognition.service_headers("uploads"), "X-Request-ID": example["request_id"] or ""}
            assert client.post("/v1/jobs", json=example, headers=headers).status_code == 202
        jobs = recognition.service.queue.claim("contract-test", limit=10)
    finally:
        recognition.close()
    assert jobs
    for job in jobs:
        validator(QUEUED_JOB).validate(job.payload)


def test_a_result_delivery_matches_its_schema_and_results_accepts_it():
    sent = []

    def results_service(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"created": True})

    with httpx.Client(transport=httpx.MockTransport(results_service)) as http:
        client = ResultsDeliveryClient(ServiceClient(Dependency("results", "http://results"), http),
                                       lambda audience: "Bearer x")
        tags = (TagScore("tabby", 0.82), TagScore("orange", 0.4))
        client.record("0190f1c2-6b2f-7d4e-8f50-1b2c3d4e5f60", OWNER_ID, Recognition(tags, "efficientnet-lite0", "1"))
    validator(DELIVERY).validate(sent[0])
    for body in [sent[0], *schema(DELIVERY)["examples"]]:
        assert recognition_from_json(body)[0] == OWNER_ID


def test_results_refuses_a_delivery_outside_the_schema():
    too_many = {**schema(DELIVERY)["examples"][0], "tags": [{"label": f"t{i}", "confidence": 0.5} for i in range(51)]}
    assert not validator(DELIVERY).is_valid(too_many)
    with pytest.raises(InvalidInput):
        recognition_from_json(too_many)


@pytest.mark.parametrize(("message", "receiver", "documented"), [
    (OUTBOX_JOB, "recognition", "Job"),  # the relay's POST /v1/jobs body
    (DELIVERY, "results", "Delivery"),  # recognition's PUT /v1/results/{image_id} body
])
def test_the_receiver_documents_that_it_accepts_what_the_sender_sends(message, receiver, documented):
    accepted = jsonschema_rs.validator_for(openapi_schema(receiver, documented))
    for example in schema(message)["examples"]:
        accepted.validate(example)
