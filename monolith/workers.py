"""The monolith's recognition workers: threads inside each web worker process, fed by the job queue."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from monolith.bootstrap import Monolith
from shared.queue.worker import Worker

log = logging.getLogger("twintag.monolith.workers")


@dataclass
class RecognitionWorkers:
    """A few worker threads that drain the recognition queue until stopped."""

    monolith: Monolith
    count: int
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Start in the background: loading the model must not delay the web worker's first request."""
        starter = threading.Thread(target=self._start_workers, daemon=True, name="recognition-starter")
        starter.start()
        self.threads.append(starter)

    def _start_workers(self) -> None:
        handler = self.monolith.recognition_handler()
        for number in range(self.count):
            worker = Worker(self.monolith.queue, handler, poll_interval=0.05)
            thread = threading.Thread(target=worker.run, args=(self.stop_event,), daemon=True,
                                      name=f"recognition-{number}")
            thread.start()
            self.threads.append(thread)
        log.info("started %d recognition worker thread(s)", self.count)

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish its current job, then return."""
        self.stop_event.set()
        for thread in list(self.threads):
            thread.join(timeout)
