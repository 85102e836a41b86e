"""Calls between services: circuit breaker, retries only for safe calls, errors mapped back (fake transport)."""

from __future__ import annotations

import threading

import httpx
import pytest
from prometheus_client import REGISTRY

from shared.auth.service_auth import ServiceTokens, calling_service, parse_secrets
from shared.domain.errors import (
    BadGateway,
    DependencyTimeout,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from shared.http.breaker import CircuitBreaker
from shared.http.client import Dependency, ServiceClient


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def client_answering(handler, breaker: CircuitBreaker | None = None, retries: int = 2):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ServiceClient(Dependency("uploads", "http://uploads", timeout=1.0, retries=retries), http, breaker)


def test_the_breaker_opens_after_repeated_failures_and_lets_one_probe_through_after_the_cool_down():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cool_down=5, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 6
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 12
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"


def test_safe_calls_are_retried_on_a_503_and_unsafe_ones_are_not():
    calls = []

    def handler(request):
        calls.append(request.method)
        return httpx.Response(503) if len(calls) < 3 else httpx.Response(200, json={})

    client = client_answering(handler)
    client.call("GET", "/v1/images")
    assert calls == ["GET", "GET", "GET"]
    calls.clear()
    with pytest.raises(DependencyUnavailable):
        client.call("POST", "/v1/images")
    assert calls == ["POST"]


def test_a_503_with_retry_after_is_passed_on_at_once_not_retried():
    calls = []

    def handler(request):
        calls.append(request.method)
        return httpx.Response(503, headers={"Retry-After": "1"}, json={"title": "Service Unavailable"})

    with pytest.raises(DependencyUnavailable) as raised:
        client_answering(handler).call("GET", "/v1/images")
    assert calls == ["GET"]  # an overloaded dependency is not asked again within the same request
    assert raised.value.retry_after == 1  # and the caller's own answer tells its client when to come back


def test_a_dependency_shedding_load_does_not_open_its_circuit():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(503, headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                              json={"type": "https://twintag.dev/problems/overloaded", "status": 503})

    client = client_answering(handler, CircuitBreaker(threshold=3))
    for _ in range(6):
        with pytest.raises(DependencyUnavailable):
            client.call("GET", "/v1/images")
    assert len(calls) == 6 and client.breaker.state == "closed"  # every call asked; each waits 1 s, not 5


def test_an_unreadable_answer_is_a_502_and_counts_against_the_dependency():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cool_down=5, clock=clock)
    breaker.record_failure()
    clock.now = 6  # half-open: the next call is the probe
    def garbled(request):
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))

    with pytest.raises(BadGateway):
        client_answering(garbled, breaker, retries=0).call("GET", "/x")
    assert breaker.state == "open"  # the failed probe reopened it, rather than leaving it probing for good
    clock.now = 12
    assert breaker.allow()


def test_only_the_probes_own_thread_can_free_it_and_a_busy_answer_to_it_closes_the_circuit():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cool_down=5, clock=clock)
    breaker.record_failure()
    clock.now = 6
    assert breaker.allow()  # this thread holds the probe
    other = threading.Thread(target=breaker.cancel_probe)  # a call of another thread failing before it was sent
    other.start()
    other.join()
    assert not breaker.allow()  # still one probe at a time
    breaker.record_busy()
    assert breaker.state == "closed"


def test_a_call_that_fails_before_it_is_sent_frees_the_probe():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cool_down=5, clock=clock)
    breaker.record_failure()
    clock.now = 6
    client = client_answering(lambda request: httpx.Response(200, json={}), breaker)
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be encoded as UTF-8
        client.call("POST", "/v1/users", json={"email": "\ud800@example.com"})
    assert client.call("GET", "/x").status_code == 200  # the probe was freed, and it closes the circuit
    assert breaker.state == "closed"


def test_connect_and_pool_waits_stay_short_whatever_a_call_may_take():
    seen = {}

    def handler(request):
        seen.update(request.extensions["timeout"])
        return httpx.Response(200)

    client_answering(handler).call("GET", "/x")
    assert seen == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 2.0}
    http = httpx.Client(transport=httpx.MockTransport(handler))
    ServiceClient(Dependency("uploads", "http://uploads", timeout=30.0), http).call("GET", "/x")
    assert seen == {"connect": 1.0, "read": 30.0, "write": 30.0, "pool": 2.0}


@pytest.mark.parametrize(("lost", "status"), [(httpx.ReadError("reset after the delete"), 204),
                                              (httpx.ConnectError("refused"), 404)])
def test_a_retried_delete_that_finds_the_item_gone_took_effect_only_if_the_first_may_have(lost, status):
    calls = []

    def handler(request):
        calls.append(request.method)
        if len(calls) == 1:
            raise lost
        return httpx.Response(404, json={"type": "https://twintag.dev/problems/not_found"})

    client = client_answering(handler)
    if status == 204:
        assert client.call("DELETE", "/v1/images/1").status_code == 204
    else:
        with pytest.raises(NotFound):
            client.call("DELETE", "/v1/images/1")
    assert calls == ["DELETE", "DELETE"]


def test_a_post_with_an_idempotency_guarantee_is_retried():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("reset")
        return httpx.Response(202, json={})

    assert client_answering(handler).call("POST", "/v1/jobs", idempotent=True).status_code == 202
    assert len(calls) == 2


def test_a_read_timeout_is_a_504_and_is_not_retried():
    calls = []

    def handler(request):
        calls.append(1)
        raise httpx.ReadTimeout("slow")

    with pytest.raises(DependencyTimeout):
        client_answering(handler).call("GET", "/v1/images")
    assert len(calls) == 1


def test_an_open_circuit_fails_fast_with_retry_after():
    breaker = CircuitBreaker(threshold=1, cool_down=30)
    breaker.record_failure()
    with pytest.raises(DependencyUnavailable) as caught:
        client_answering(lambda request: httpx.Response(200), breaker).call("GET", "/x")
    assert caught.value.retry_after >= 29


@pytest.mark.parametrize(("status", "body", "error"), [
    (404, {"type": "https://twintag.dev/problems/not_found", "detail": "No such image."}, NotFound),
    (422, {"type": "https://twintag.dev/problems/invalid_input", "errors": [{"field": "f", "message": "m"}]},
     InvalidInput),
    (401, {}, Unauthorized),
    (500, {"title": "Internal Server Error"}, BadGateway),
])
def test_problem_answers_come_back_as_the_same_domain_error(status, body, error):
    client = client_answering(lambda request: httpx.Response(status, json=body), retries=0)
    with pytest.raises(error):
        client.call("GET", "/x")


def test_the_request_id_and_authorization_travel_with_the_call():
    seen = {}

    def handler(request):
        seen.update(request.headers)
        return httpx.Response(200)

    client_answering(handler).call("GET", "/x", auth="Bearer abc")
    assert seen["authorization"] == "Bearer abc" and "x-request-id" in seen


def test_service_tokens_are_reused_until_shortly_before_they_expire():
    clock, fetched = Clock(), []

    def fetch(client_id, secret, audience):
        fetched.append(audience)
        return {"access_token": f"t{len(fetched)}", "expires_in": 600}

    tokens = ServiceTokens(fetch, "recognition", "s3cret", clock=clock)
    assert tokens.authorization("uploads") == tokens.authorization("uploads") == "Bearer t1"
    clock.now = 550
    assert tokens.authorization("uploads") == "Bearer t2"
    assert tokens.authorization("results") == "Bearer t3"


def test_only_allowed_services_pass_a_service_route_check():
    assert calling_service("service:recognition", frozenset({"recognition"})) == "recognition"
    for subject in ("service:uploads", "01a22348-f10c-7c77-84ce-083e66d59ae6", "recognition"):
        with pytest.raises(Unauthorized):
            calling_service(subject, frozenset({"recognition"}))


def test_service_secrets_parse_from_one_variable():
    assert parse_secrets("uploads:a,recognition:b:c, broken,empty:") == {"uploads": "a", "recognition": "b:c"}


def test_every_attempt_is_timed_by_dependency_method_and_outcome():
    def count(status: str) -> float:
        return REGISTRY.get_sample_value("twintag_http_client_request_duration_seconds_count",
                                         {"dependency": "uploads", "method": "GET", "status": status}) or 0.0

    before = {status: count(status) for status in ("200", "503", "timeout")}
    answers = iter([httpx.Response(503), httpx.Response(200, json={})])
    client_answering(lambda request: next(answers)).call("GET", "/v1/images")
    with pytest.raises(DependencyTimeout):
        client_answering(lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow"))).call("GET", "/v1/x")
    assert {status: count(status) - before[status] for status in before} == {"200": 1, "503": 1, "timeout": 1}
