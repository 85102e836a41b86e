"""ServiceClient: how one service calls another. Timeouts always; retries only for safe calls, here only."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar

import httpx
from prometheus_client import Histogram

from shared.api.context import REQUEST_ID_HEADER, current_request_id
from shared.domain.errors import BadGateway, DependencyTimeout, DependencyUnavailable, Overloaded
from shared.http.breaker import CircuitBreaker
from shared.http.problems import error_from_response, problem_body, problem_code
from shared.queue.backoff import Backoff
from shared.queue.jobs import RetryLater

log = logging.getLogger("twintag.http")
SAFE_METHODS = {"GET", "HEAD", "PUT", "DELETE"}  # idempotent by HTTP's definition, so retrying cannot duplicate
RETRYABLE_STATUS = {502, 503, 504}
# Failures that prove the request never reached the dependency (as does an open circuit, which has no cause).
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Seconds to open a connection and to wait for a pooled one: short whatever a call may take, since either failing
# means the dependency is down or this process is swamped, and the caller should hear it soon.
CONNECT_SECONDS, POOL_SECONDS = 1.0, 2.0
CALL_SECONDS = Histogram(
    "twintag_http_client_request_duration_seconds",
    "Time this process waited for one call to another service (one attempt), by dependency, method and status.",
    ["dependency", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class NoCookies(CookieJar):
    """A cookie jar that keeps nothing: the way httpx's maintainers suggest to turn cookie persistence off
    (httpx has no setting for it; encode/httpx#1359)."""

    def extract_cookies(self, response, request) -> None:
        pass

    def set_cookie(self, cookie) -> None:
        pass


def make_http_client(*, connections: int = 32, timeout: float = 5.0) -> httpx.Client:
    """The one pooled client of a process: keep-alive connections at least as many as request threads.

    It serves every user's requests, so it keeps no cookies: a Set-Cookie answered to one call must not travel
    with the next, made for someone else."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=CONNECT_SECONDS, pool=POOL_SECONDS), cookies=NoCookies(),
                        limits=httpx.Limits(max_connections=connections * 2, max_keepalive_connections=connections))


@dataclass(frozen=True)
class Dependency:
    """Another service this one calls: where it is and how long to wait for it."""

    name: str
    base_url: str
    timeout: float = 5.0
    retries: int = 2


class ServiceClient:
    """Calls one dependency through the shared pool, with its own circuit breaker."""

    def __init__(self, dependency: Dependency, http: httpx.Client, breaker: CircuitBreaker | None = None):
        self.dependency, self.http = dependency, http
        self.breaker = breaker or CircuitBreaker()
        self.timeout = httpx.Timeout(dependency.timeout, connect=CONNECT_SECONDS, pool=POOL_SECONDS)
        self.backoff = Backoff(base=0.05, cap=0.5, jitter=True)

    def call(self, method: str, path: str, *, auth: str | None = None, idempotent: bool = False,
             **kwargs) -> httpx.Response:
        """Send a request and return a 2xx response; any other answer is raised as a domain error."""
        headers = {REQUEST_ID_HEADER: current_request_id() or "", **kwargs.pop("headers", {})}
        if auth:
            headers["Authorization"] = auth
        response = self._send_with_retries(method.upper(), path, idempotent, {**kwargs, "headers": headers})
        if response.status_code >= 400:
            raise error_from_response(self.dependency.name, response)
        return response

    def _send_with_retries(self, method: str, path: str, idempotent: bool, kwargs: dict) -> httpx.Response:
        attempts = 1 + (self.dependency.retries if method in SAFE_METHODS or idempotent else 0)
        maybe_applied = False  # an earlier attempt may have reached the dependency before its connection failed
        for attempt in range(1, attempts + 1):
            try:
                response = self._send(method, path, kwargs)
            except DependencyUnavailable as exc:
                maybe_applied |= exc.__cause__ is not None and not isinstance(exc.__cause__, NOT_SENT)
                if attempt == attempts:
                    raise
            else:
                if method == "DELETE" and maybe_applied and response.status_code == 404:
                    # The earlier attempt deleted it; the retry only found it gone. Answer as that attempt would have.
                    log.info("%s DELETE %s: 404 on a retry after a lost answer; taken as deleted",
                             self.dependency.name, path)
                    return httpx.Response(204, request=response.request)
                # A Retry-After means the dependency asked to be left alone for a while (it is shedding load or its
                # database is down): asking again at once would only add to its trouble.
                if (response.status_code not in RETRYABLE_STATUS or attempt == attempts
                        or "Retry-After" in response.headers):
                    return response
            time.sleep(self.backoff(attempt))
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, kwargs: dict) -> httpx.Response:
        name = self.dependency.name
        if not self.breaker.allow():
            raise DependencyUnavailable(f"{name} is unavailable (circuit open).",
                                        retry_after=self.breaker.retry_after())
        started, outcome = time.perf_counter(), "error"
        try:
            response = self.http.request(method, self.dependency.base_url + path, timeout=self.timeout, **kwargs)
            outcome = str(response.status_code)
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            self.breaker.record_failure()
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise DependencyUnavailable(f"{name} could not be reached in time.") from exc
            raise DependencyTimeout(f"{name} did not answer within {self.dependency.timeout} s.") from exc
        except httpx.TransportError as exc:
            self.breaker.record_failure()
            log.warning("%s %s %s failed: %s", name, method, path, exc)
            raise DependencyUnavailable(f"{name} is not reachable.") from exc
        except httpx.RequestError as exc:  # it answered, but with a body that cannot be read (bad encoding)
            self.breaker.record_failure()
            log.warning("%s %s %s answered unreadably: %s", name, method, path, exc)
            raise BadGateway(f"{name} answered with a body that cannot be read.") from exc
        except BaseException:  # failed before anything was sent: nothing learnt about the dependency
            self.breaker.cancel_probe()
            raise
        finally:
            CALL_SECONDS.labels(name, method, outcome).observe(time.perf_counter() - started)
        if response.status_code == 503 and problem_code(problem_body(response)) == Overloaded.code:
            # Up and answering fast, asking for time (Retry-After): counting it as a failure would open the circuit
            # and turn the dependency's partial shedding into whole seconds of refusing everything.
            self.breaker.record_busy()
        elif response.status_code >= 500:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        return response


@contextmanager
def retry_later_when_unavailable() -> Iterator[None]:
    """In a queue handler: a dependency that is down or slow postpones the job instead of using up attempts."""
    try:
        yield
    except (DependencyUnavailable, DependencyTimeout) as exc:
        raise RetryLater(str(exc), delay=float(exc.retry_after or 1)) from exc
