"""Queue workers that run as threads inside a web worker process (the monolith, uploads' relay, recognition)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.queue.queue import JobQueue
from shared.queue.worker import Handler, start_workers

log = logging.getLogger("twintag.background")
RETRY_PAUSE_CAP_SECONDS = 30.0  # between tries to build a queue's handler


@dataclass
class BackgroundWorkers:
    """A few threads draining one queue until stopped; the handler is built in the background (it may load a model)."""

    queue: JobQueue
    build_handler: Callable[[], Handler]
    count: int
    poll_interval: float = 0.05
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    failure: str | None = None  # why the workers could not start yet (building the handler or its model failed)

    def start(self) -> None:
        """Start without delaying the web worker's first request."""
        starter = threading.Thread(target=self._start_workers, daemon=True, name=f"{self.queue.name}-starter")
        starter.start()
        self.threads.append(starter)

    def check(self) -> None:
        """For /readyz: raise while the workers could not start."""
        if self.failure is not None:
            raise RuntimeError(f"the {self.queue.name} workers could not start: {self.failure}")

    def _start_workers(self) -> None:
        pause = 1.0
        while (handler := self._build()) is None:
            pause = min(RETRY_PAUSE_CAP_SECONDS, pause * 2)
            if self.stop_event.wait(pause):
                return
        self.failure = None
        self.threads += start_workers(self.queue, handler, count=self.count, stop=self.stop_event,
                                      poll_interval=self.poll_interval)
        log.info("started %d worker thread(s) on queue %s", self.count, self.queue.name)

    def _build(self) -> Handler | None:
        try:
            handler = self.build_handler()
            recognizer = getattr(handler, "recognizer", None)
            if hasattr(recognizer, "warm_up"):
                recognizer.warm_up()  # load the model before the first job, not during it
        except Exception as exc:  # a missing model, a bad recognizer setting: reported by /readyz, tried again
            log.exception("could not start the workers of queue %s; /readyz says so, trying again", self.queue.name)
            self.failure = f"{type(exc).__name__}: {exc}"[:300]
            return None
        return handler

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish its current job, then return."""
        self.stop_event.set()
        for thread in list(self.threads):
            thread.join(timeout)
