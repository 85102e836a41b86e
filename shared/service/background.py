"""Queue workers that run as threads inside a web worker process (the monolith, uploads' relay, recognition)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.queue.queue import JobQueue
from shared.queue.worker import Handler, start_workers

log = logging.getLogger("twintag.background")


@dataclass
class BackgroundWorkers:
    """A few threads draining one queue until stopped; the handler is built in the background (it may load a model)."""

    queue: JobQueue
    build_handler: Callable[[], Handler]
    count: int
    poll_interval: float = 0.05
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Start without delaying the web worker's first request."""
        starter = threading.Thread(target=self._start_workers, daemon=True, name=f"{self.queue.name}-starter")
        starter.start()
        self.threads.append(starter)

    def _start_workers(self) -> None:
        handler = self.build_handler()
        recognizer = getattr(handler, "recognizer", None)
        if hasattr(recognizer, "warm_up"):
            recognizer.warm_up()  # load the model before the first job, not during it
        self.threads += start_workers(self.queue, handler, count=self.count, stop=self.stop_event,
                                      poll_interval=self.poll_interval)
        log.info("started %d worker thread(s) on queue %s", self.count, self.queue.name)

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish its current job, then return."""
        self.stop_event.set()
        for thread in list(self.threads):
            thread.join(timeout)
