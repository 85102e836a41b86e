"""The gunicorn worker class of every deployable: gthread, with a thread pool that sheds load (admission.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gunicorn.workers.gthread import ThreadWorker

from shared.service.admission import AdmissionPool


class AdmissionThreadWorker(ThreadWorker):
    """gunicorn's gthread worker with an AdmissionPool (`get_thread_pool` is gthread's hook for its pool)."""

    def get_thread_pool(self) -> ThreadPoolExecutor:
        from shared.service.gunicorn_base import max_queued_requests  # the config module, read once by gunicorn

        return AdmissionPool(max_workers=self.cfg.threads, max_queued=max_queued_requests)
