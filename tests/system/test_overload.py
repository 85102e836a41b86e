"""Load beyond capacity (row 13 of RELIABILITY.md): the excess is refused with 503 + Retry-After, the rest
is served, nothing answers 500, and the server serves normally again once the burst is over."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.blackbox import ApiUser
from tests.support.live import start_stack

pytestmark = pytest.mark.system

BURST = 24
PASSWORD = "correct horse battery"
# One worker with one thread per process, and at most two requests waiting for it: a burst of logins (argon2id,
# tens of ms each) is far beyond what that can serve at once.
SMALL = {"TWINTAG_WEB_WORKERS": "1", "TWINTAG_WEB_THREADS": "1", "TWINTAG_MAX_QUEUED_REQUESTS": "2"}
# Who takes the logins: the monolith, or the gateway and the users service behind it.
SHEDDERS = {"monolith": ("monolith",), "microservices": ("gateway", "users")}


def shed_count(stack, name: str) -> float:
    """twintag_http_requests_shed_total of one process, from its /metrics."""
    metrics = httpx.get(f"{stack.url_of(name)}/metrics").text
    for line in metrics.splitlines():
        if line.startswith("twintag_http_requests_shed_total{"):
            return float(line.split()[-1])
    return 0.0


def log_in_burst(base_url: str, email: str) -> list[httpx.Response]:
    def log_in(_):
        with httpx.Client(timeout=30.0) as client:
            return client.post(f"{base_url}/api/v1/tokens", json={"email": email, "password": PASSWORD})

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(log_in, range(BURST)))


@pytest.mark.parametrize("variant", ["monolith", "microservices"])
def test_a_burst_beyond_capacity_is_partly_refused_at_once_and_never_fails(tmp_path, model_cache, variant):
    stack = start_stack(variant, tmp_path / variant, model_cache, env=SMALL)
    user = None
    try:
        user = ApiUser(stack.base_url, password=PASSWORD)
        answers = log_in_burst(stack.base_url, user.email)

        statuses = [r.status_code for r in answers]
        assert set(statuses) <= {200, 503}, statuses
        refused = [r for r in answers if r.status_code == 503]
        assert refused and len(refused) < BURST, statuses  # some were served, the excess was not
        for response in refused:
            assert response.headers["Retry-After"] == "1"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["request_id"] == response.headers["X-Request-ID"]
        assert all(r.json()["token_type"] == "Bearer" for r in answers if r.status_code == 200)
        assert sum(shed_count(stack, name) for name in SHEDDERS[variant]) >= 1
        if variant == "monolith":
            assert shed_count(stack, "monolith") == len(refused)
            assert {r.json()["type"].rsplit("/", 1)[-1] for r in refused} == {"overloaded"}

        after = httpx.post(f"{stack.base_url}/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
        assert after.status_code == 200  # the burst is over: served normally again
    finally:
        if user is not None:
            user.close()
        stack.stop_everything()
