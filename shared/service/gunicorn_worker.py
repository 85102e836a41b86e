"""The gunicorn worker class of every deployable: gthread, with a thread pool that sheds load (admission.py)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from shared.api.context import REQUEST_ID_HEADER, accept_request_id, clear_request_id
from shared.api.problems import PROBLEM_JSON, problem_document
from shared.service.admission import AdmissionPool

log = logging.getLogger("twintag.http")


class AdmissionThreadWorker(ThreadWorker):
    """gunicorn's gthread worker with an AdmissionPool (`get_thread_pool` is gthread's hook for its pool)."""

    def get_thread_pool(self) -> ThreadPoolExecutor:
        from shared.service.gunicorn_base import max_queued_requests  # the config module, read once by gunicorn

        return AdmissionPool(max_workers=self.cfg.threads, max_queued=max_queued_requests)


def write_problem(sock, status: int, reason: str, message: str) -> None:
    """Answer a request gunicorn refuses before any app sees it (a request line or header over the limits in
    gunicorn_base.py, or bytes that are not HTTP) as problem+json with a request id, like every other error."""
    request_id = accept_request_id(None)
    try:
        body = problem_document(status, reason, _detail(status, message))
        log.warning("refused before the app: %s %s (%s)", status, reason, message)
    finally:
        clear_request_id()
    data = json.dumps(body).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
            f"Content-Length: {len(data)}\r\n{REQUEST_ID_HEADER}: {request_id}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + data)


def _detail(status: int, message: str) -> str:
    from shared.service import gunicorn_base as limits  # the config module, read once by gunicorn

    if status == 414:
        return f"The request line (method, path and query) is too long: at most {limits.limit_request_line} bytes."
    if status == 431:
        return (f"The request headers are too large: at most {limits.limit_request_fields} header fields of at "
                f"most {limits.limit_request_field_size} bytes each.")
    return message


# gunicorn's workers answer what they cannot parse through util.write_error, with an HTML page.
util.write_error = write_problem
