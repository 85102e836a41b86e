"""Faults on the running monolith: killed and restarted workers (rows 1, 5 and 6 of RELIABILITY.md)."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import httpx
import psutil
import pytest

from tests.support.blackbox import ApiUser
from tests.support.images import solid
from tests.support.live import start_stack

pytestmark = pytest.mark.system


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn master's current worker processes."""
    return [child.pid for child in psutil.Process(master_pid).children()]


@pytest.fixture
def stack(tmp_path, model_cache):
    live = start_stack("monolith", tmp_path / "monolith", model_cache)
    yield live
    live.stop_everything()


def upload_many(user: ApiUser, count: int, accepted: list[str], errors: list[str]) -> None:
    """Upload images one after another, each with its own Idempotency-Key, retrying once on failure."""
    for number in range(count):
        for _attempt in range(3):
            try:
                response = user.upload(solid(("red", "green", "blue")[number % 3]), **{"Idempotency-Key": f"k{number}"})
            except httpx.TransportError as exc:
                errors.append(f"transport: {exc}")
                continue
            if response.status_code == 202:
                accepted.append(response.json()["id"])
                break
            errors.append(f"{response.status_code}: {response.text[:200]}")


def test_kill_9_of_a_worker_under_load_loses_no_upload_and_duplicates_no_result(stack):
    user = ApiUser(stack.base_url)
    accepted, errors = [], []
    uploader = threading.Thread(target=upload_many, args=(user, 40, accepted, errors))
    uploader.start()
    while len(accepted) < 12:
        time.sleep(0.01)
    os.kill(worker_pids(stack.processes["monolith"].pid)[0], signal.SIGKILL)
    uploader.join(60)
    assert len(set(accepted)) == 40, errors
    statuses = {image_id: user.wait_until_finished(image_id, timeout=90)["status"] for image_id in set(accepted)}
    assert set(statuses.values()) == {"done"}
    db = sqlite3.connect(stack.data_dir / "monolith" / "monolith.db")
    assert db.execute("select count(*), count(distinct image_id) from results").fetchone() == (40, 40)
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    # A write the kill cut short may leave its temporary file (never an object; swept at the next start): at most
    # the one upload this test's single client had in flight and the one result its recognition thread wrote.
    assert len(list((stack.data_dir / "monolith" / "objects").rglob(".tmp-*"))) <= 2
    db.close()
    user.close()


def test_graceful_reload_under_load_fails_no_request(stack):
    user = ApiUser(stack.base_url)
    accepted, errors = [], []
    uploader = threading.Thread(target=upload_many, args=(user, 30, accepted, errors))
    uploader.start()
    while len(accepted) < 5:
        time.sleep(0.01)
    os.kill(stack.processes["monolith"].pid, signal.SIGHUP)  # gunicorn: new workers, old ones finish in-flight
    uploader.join(60)
    assert errors == [] and len(accepted) == 30
    for image_id in accepted:
        assert user.wait_until_finished(image_id, timeout=90)["status"] == "done"
    user.close()
