"""The Clarifai adapter against a real local HTTP server that speaks the v2 predict format."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shared.domain.errors import DependencyUnavailable
from shared.recognition.clarifai import ClarifaiRecognizer
from shared.recognition.recognizer import MAX_LABEL_LENGTH, MAX_NAME_LENGTH, RecognitionFailed, TagScore

API_KEY = "test-key"
IMAGE = b"\xff\xd8\xff\xe0 pretend jpeg bytes"
CONCEPTS = [{"id": "c1", "name": "dog", "value": 0.98}, {"id": "c2", "name": "grass", "value": 0.61},
            {"id": "c3", "name": "cat", "value": 0.91}, {"id": "c4", "name": "car", "value": 0.12}]


@dataclass
class FakeClarifai:
    """A v2 predict endpoint whose behaviour is chosen by the model id in the path."""

    requests: list[dict] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization"),
                              "body": request.get_json(silent=True)})
        model_id = request.path.split("/")[3]
        if request.headers.get("Authorization") != f"Key {API_KEY}":
            return self.json({"status": {"code": 11008, "description": "Invalid API key"}}, 401)
        if model_id == "slow":
            self.release_slow.wait(timeout=5)
        if model_id == "failing":
            return self.json({"status": {"code": 10020, "description": "Failure", "details": "model crashed"}})
        if model_id == "garbled":
            return Response("<html>oops</html>", 200, content_type="application/json")
        if model_id == "bad-concepts":
            output = {"data": {"concepts": [{"name": "dog", "value": "very"}]}}
            return self.json({"status": {"code": 10000, "description": "Ok"}, "outputs": [output]})
        if model_id == "overloaded":
            return Response("slow down", 429, headers={"Retry-After": "7"})
        if model_id == "unavailable":
            return self.json({"status": {"code": 21317, "description": "Service unavailable"}}, 503)
        if model_id == "crashing":
            return self.json({"status": {"code": 21317, "description": "Internal error"}}, 500)
        if model_id == "odd-concepts":
            concepts = [{"name": "", "value": 0.99}, {"name": None, "value": 0.98},
                        {"name": "tab\tbed\x00", "value": 0.97}, {"name": "x" * 300, "value": 0.96},
                        {"name": "  dog  ", "value": 0.95}]
            output = {"model": {"model_version": {"id": "v" * 150}}, "data": {"concepts": concepts}}
            return self.json({"status": {"code": 10000, "description": "Ok"}, "outputs": [output]})
        if model_id == "no-outputs":
            return self.json({"status": {"code": 10000, "description": "Ok"}, "outputs": []})
        output = {"model": {"id": model_id, "model_version": {"id": "aa7f35c01e0642fda5cf400f543e7c40"}},
                  "data": {"concepts": CONCEPTS}}
        return self.json({"status": {"code": 10000, "description": "Ok"}, "outputs": [output]})

    @staticmethod
    def json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status, content_type="application/json")


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeClarifai, str]]:
    app = FakeClarifai()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    app.release_slow.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(2.0), trust_env=False) as http:
        yield http


def adapter(client: httpx.Client, base_url: str, model_id: str = "general-image-recognition", **kw):
    return ClarifaiRecognizer(client, base_url=base_url, api_key=kw.pop("api_key", API_KEY), model_id=model_id, **kw)


def test_concepts_come_back_as_tags_best_first_with_the_model_version(fake, client):
    _, url = fake

    recognition = adapter(client, url).recognize(IMAGE)

    assert recognition.tags == (TagScore("dog", 0.98), TagScore("cat", 0.91), TagScore("grass", 0.61))
    assert recognition.recognizer == "clarifai:general-image-recognition"
    assert recognition.version == "aa7f35c01e0642fda5cf400f543e7c40"


def test_the_request_carries_the_key_and_the_image_as_base64(fake, client):
    app, url = fake

    adapter(client, url, model_id="food").recognize(IMAGE)

    sent = app.requests[-1]
    assert sent["path"] == "/v2/models/food/outputs"
    assert sent["auth"] == f"Key {API_KEY}"
    assert base64.b64decode(sent["body"]["inputs"][0]["data"]["image"]["base64"]) == IMAGE


def test_min_confidence_and_max_labels_trim_the_concepts(fake, client):
    _, url = fake

    tags = adapter(client, url, min_confidence=0.1, max_labels=3).recognize(IMAGE).tags

    assert [tag.label for tag in tags] == ["dog", "cat", "grass"]


def test_a_wrong_api_key_is_a_recognition_failure(fake, client):
    _, url = fake

    with pytest.raises(RecognitionFailed, match="HTTP 401: Invalid API key"):
        adapter(client, url, api_key="stolen").recognize(IMAGE)


def test_a_status_code_other_than_10000_is_a_recognition_failure(fake, client):
    _, url = fake

    with pytest.raises(RecognitionFailed, match="status 10020: Failure \\(model crashed\\)"):
        adapter(client, url, model_id="failing").recognize(IMAGE)


def test_a_body_that_is_not_json_is_a_recognition_failure(fake, client):
    _, url = fake

    with pytest.raises(RecognitionFailed, match="not a JSON object"):
        adapter(client, url, model_id="garbled").recognize(IMAGE)


def test_a_success_without_outputs_is_a_recognition_failure(fake, client):
    _, url = fake

    with pytest.raises(RecognitionFailed, match="malformed"):
        adapter(client, url, model_id="no-outputs").recognize(IMAGE)


def test_a_concept_without_a_numeric_value_is_a_recognition_failure(fake, client):
    _, url = fake

    with pytest.raises(RecognitionFailed, match="malformed.*not a number"):
        adapter(client, url, model_id="bad-concepts").recognize(IMAGE)


def test_a_server_slower_than_the_client_timeout_fails_quickly(fake):
    _, url = fake
    started = time.monotonic()

    with (
        httpx.Client(timeout=httpx.Timeout(0.3), trust_env=False) as impatient,
        pytest.raises(RecognitionFailed, match="did not answer in time"),  # an attempt: an image may cause it
    ):
        adapter(impatient, url, model_id="slow").recognize(IMAGE)

    assert time.monotonic() - started < 2.0


def test_an_unreachable_server_postpones_the_job_without_naming_where_it_is(client):
    with pytest.raises(DependencyUnavailable) as raised:
        adapter(client, "http://user:secret@127.0.0.1:9").recognize(IMAGE)
    assert str(raised.value) == "clarifai is not reachable (ConnectError)"  # shown to the image's owner


@pytest.mark.parametrize(("model_id", "retry_after"), [("overloaded", 7), ("unavailable", None)])
def test_a_busy_or_unavailable_service_postpones_the_job(fake, client, model_id, retry_after):
    _, url = fake
    with pytest.raises(DependencyUnavailable) as raised:
        adapter(client, url, model_id=model_id).recognize(IMAGE)
    assert raised.value.retry_after == retry_after


def test_a_server_error_uses_an_attempt_so_an_image_that_always_causes_one_ends_failed(fake, client):
    _, url = fake
    with pytest.raises(RecognitionFailed, match="HTTP 500: Internal error"):
        adapter(client, url, model_id="crashing").recognize(IMAGE)


def test_concept_names_become_printable_labels_of_bounded_length(fake, client):
    _, url = fake
    result = adapter(client, url, model_id="odd-concepts").recognize(IMAGE)
    assert [tag.label for tag in result.tags] == ["tabbed", "x" * MAX_LABEL_LENGTH, "dog"]
    assert result.version == "v" * MAX_NAME_LENGTH


def test_a_key_read_with_its_newline_works_and_one_a_header_cannot_carry_is_refused(fake, client):
    _, url = fake
    assert adapter(client, url, api_key=f"{API_KEY}\n").recognize(IMAGE).tags
    with pytest.raises(ValueError, match="printable ASCII"):
        adapter(client, url, api_key="test\nkey")
