"""An image deleted while it is recognized leaves no result behind, across the real uploads and results services.

Images and results live in two services with no transaction around both, so the owner's delete can reach
results before recognition records the result. The delete leaves a tombstone there that refuses it; if the
delete's results step never ran, recognition finds out when uploads answers its status report 404 image_gone,
and withdraws the result. Both services run on loopback; the recognition step calls them through its real
clients.
"""

from __future__ import annotations

import httpx
import pytest

from shared.clients.results import ResultsDeliveryClient
from shared.clients.uploads import UploadsRecognitionClient
from shared.domain.errors import ImageGone, NotFound
from shared.domain.images import MAX_ERROR_LENGTH, ImageStatus
from shared.http.client import Dependency, ServiceClient, make_http_client
from shared.queue.jobs import Job
from shared.recognition.pipeline import RecognitionHandler
from shared.recognition.recognizer import Recognition, TagScore
from tests.support.images import solid
from tests.support.results import result_objects


class StandInRecognizer:
    """Answers "tabby"; while it works, the owner sends the given deletes, as the gateway would: from uploads,
    then (unless that step is left out) from results, which has nothing to forget yet."""

    name, version = "stand-in", "1"

    def __init__(self, deletes: list[str] = (), owner_headers: dict | None = None):
        self.deletes, self.owner_headers = deletes, owner_headers

    def recognize(self, image: bytes) -> Recognition:
        for url in self.deletes:
            answer = httpx.delete(url, headers=self.owner_headers)
            assert answer.status_code == 204, answer.text
        return Recognition((TagScore("tabby", 0.8),), self.name, self.version)


def clients(http, uploads_url: str, results_url: str, keys) -> tuple[UploadsRecognitionClient, ResultsDeliveryClient]:
    """Recognition's two adapters, calling the services on loopback with recognition's service tokens."""

    def service_token(audience: str) -> str:
        return keys.service("recognition", audience)["Authorization"]

    return (UploadsRecognitionClient(ServiceClient(Dependency("uploads", uploads_url), http), service_token),
            ResultsDeliveryClient(ServiceClient(Dependency("results", results_url), http), service_token))


def job_for(image_id: str, owner_id: str) -> Job:
    return Job(1, "recognition", image_id, {"image_id": image_id, "owner_id": owner_id}, 1, "lease")


@pytest.mark.parametrize("deleted_from", [("uploads", "results"), ("uploads",)],
                         ids=["whole-delete", "results-step-missed"])
def test_an_image_deleted_during_recognition_leaves_no_result_in_results(build_service, serve, keys, user_id,
                                                                        deleted_from):
    """The whole delete leaves a tombstone in results, which refuses the result; a delete whose results step never
    ran (results was down, the user gave up) leaves none, and recognition's withdrawal removes the result."""
    (uploads_app, uploads), (results_app, results) = build_service("uploads"), build_service("results")
    urls = {"uploads": serve(uploads_app).url, "results": serve(results_app).url}
    uploads_url, results_url = urls["uploads"], urls["results"]
    image = uploads.catalog.accept(user_id, solid(), "cat.jpg", None)
    paths = {"uploads": f"/v1/images/{image.id}", "results": f"/v1/results/{image.id}"}
    recognizer = StandInRecognizer([urls[name] + paths[name] for name in deleted_from], keys.user(user_id))

    with make_http_client() as http:
        source, sink = clients(http, uploads_url, results_url, keys)
        recorded, record = [], sink.record

        def record_and_remember(*args):
            recorded.append(record(*args))
            return recorded[-1]

        sink.record = record_and_remember
        RecognitionHandler(source, sink, recognizer, max_attempts=3)(job_for(image.id, user_id))

    assert recorded == [len(deleted_from) == 1]  # refused by the tombstone (200), or recorded then withdrawn
    assert results.index.tags_for(user_id, [image.id]) == {}
    assert results.index.tag_counts(user_id) == []
    assert result_objects(results.index, image.id) == []


def test_an_image_whose_bytes_are_missing_keeps_its_result_and_the_job_is_retried(build_service, serve, keys,
                                                                                   user_id):
    (uploads_app, uploads), (results_app, results) = build_service("uploads"), build_service("results")
    uploads_url, results_url = serve(uploads_app).url, serve(results_app).url
    image = uploads.catalog.accept(user_id, solid(), "cat.jpg", None)
    results.index.record(image.id, user_id, Recognition((TagScore("tabby", 0.8),), "stand-in", "1"))
    uploads.catalog.store.delete(image.object_key)  # the row is there, its bytes are not (a redelivered job)

    with make_http_client() as http:
        source, sink = clients(http, uploads_url, results_url, keys)
        with pytest.raises(NotFound):
            RecognitionHandler(source, sink, StandInRecognizer(), max_attempts=3)(job_for(image.id, user_id))

    assert [t.label for t in results.index.tags_for(user_id, [image.id])[image.id]] == ["tabby"]


def test_a_404_from_the_wrong_service_is_not_taken_for_a_deleted_image(build_service, serve, keys, user_id):
    """Recognition misconfigured to call results where uploads should be: every call is 404, but not uploads'
    image_gone, so the job fails and is retried instead of withdrawing the image's result and ending quietly."""
    (_, uploads), (results_app, results) = build_service("uploads"), build_service("results")
    results_url = serve(results_app).url
    image = uploads.catalog.accept(user_id, solid(), "cat.jpg", None)
    results.index.record(image.id, user_id, Recognition((TagScore("tabby", 0.8),), "stand-in", "1"))

    with make_http_client() as http:
        source, sink = clients(http, results_url, results_url, keys)
        for attempt in (1, 3):  # a retried attempt, then the last one (which would mark the image failed)
            job = Job(1, "recognition", image.id, {"image_id": image.id, "owner_id": user_id}, attempt, "lease")
            with pytest.raises(NotFound) as raised:
                RecognitionHandler(source, sink, StandInRecognizer(), max_attempts=3)(job)
            assert not isinstance(raised.value, ImageGone)

    assert [t.label for t in results.index.tags_for(user_id, [image.id])[image.id]] == ["tabby"]


def test_a_failure_reason_longer_than_a_request_may_be_still_marks_the_image_failed(build_service, serve, keys,
                                                                                    user_id):
    uploads_app, uploads = build_service("uploads")
    image = uploads.catalog.accept(user_id, solid(), "cat.jpg", None)
    reason = "RecognitionFailed: " + "x" * 100_000  # say, a backend's whole error page quoted in its message
    with make_http_client() as http:
        source, _ = clients(http, serve(uploads_app).url, "http://127.0.0.1:9", keys)
        assert source.finish_recognition(image.id, ImageStatus.FAILED, reason) is True
    failed = uploads.catalog.get(user_id, image.id)
    assert failed.status == ImageStatus.FAILED and failed.error == reason[:MAX_ERROR_LENGTH]
