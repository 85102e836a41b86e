"""Queue threads inside a web worker: a handler that cannot be built is reported by /readyz and tried again."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from shared.api.health import BACKGROUND
from shared.db import transaction
from shared.queue import JobQueue
from shared.service.app import base_app
from shared.service.background import BackgroundWorkers


def test_workers_that_cannot_start_say_so_in_readyz_and_start_once_they_can(engine: Engine) -> None:
    queue = JobQueue(engine, "images")
    with transaction(engine) as session:
        queue.enqueue(session, {"image": 1})
    builds, ran = [], threading.Event()

    def build_handler():
        builds.append(time.monotonic())
        if len(builds) == 1:
            raise FileNotFoundError("no model in /nowhere")  # say, the model cache is not mounted yet
        return lambda job: ran.set()

    background = BackgroundWorkers(queue, build_handler, count=1)
    app = base_app("worker-test", "1", checks={}, max_upload_bytes=1024)
    app.extensions[BACKGROUND] = background
    background.start()
    try:
        deadline = time.monotonic() + 5
        while background.failure is None:
            assert time.monotonic() < deadline, "the failed build was not recorded"
            time.sleep(0.01)
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503
        assert "no model in /nowhere" in ready.get_json()["failed"]["workers"]
        assert ran.wait(10)  # built on the next try, and the job ran
        assert len(builds) == 2 and app.test_client().get("/readyz").status_code == 200
    finally:
        background.stop()
