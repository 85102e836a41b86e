"""Recognition down, in both variants: every accepted upload waits, durably, and is tagged once it is back."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.blackbox import ApiUser
from tests.support.images import solid
from tests.support.live import VARIANTS, LiveStack, start_stack

pytestmark = [pytest.mark.system]

UPLOADS = 10
COLORS = ("red", "green", "blue", "yellow", "purple", "orange", "white", "black", "gray", "pink")


def rows(database: Path, sql: str, *params) -> list[tuple]:
    """Read from a process's SQLite file while it runs (WAL lets readers in)."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def databases(stack: LiveStack) -> tuple[Path, str, Path]:
    """Where the accepted jobs wait (database, queue name), and where results land."""
    if stack.variant == "monolith":
        db = stack.data_dir / "monolith" / "monolith.db"
        return db, "recognition", db
    home = stack.data_dir / "microservices"
    return home / "uploads" / "uploads.db", "recognition-outbox", home / "results" / "results.db"


def take_recognition_down(variant: str, tmp_path: Path, model_cache: Path) -> LiveStack:
    """Microservices: stop the recognition service. Monolith: run it without recognition threads."""
    if variant == "monolith":
        return start_stack(variant, tmp_path, model_cache, env={"TWINTAG_RECOGNITION_THREADS": "0"})
    stack = start_stack(variant, tmp_path, model_cache)
    stack.stop("recognition")
    return stack


def bring_recognition_back(stack: LiveStack) -> None:
    """Microservices: restart recognition. Monolith: stop the whole process, restart it with recognition."""
    if stack.variant == "monolith":
        stack.stop("monolith")
        spec = stack.specs["monolith"]
        stack.specs["monolith"] = replace(spec, env={**spec.env, "TWINTAG_RECOGNITION_THREADS": "1"})
        stack.start("monolith")
    else:
        stack.start("recognition")


def statuses(user: ApiUser, image_ids: list[str]) -> dict[str, str]:
    return {image_id: user.http.get(f"/api/v1/images/{image_id}").json()["status"] for image_id in image_ids}


@pytest.fixture(params=VARIANTS)
def stack(request, tmp_path, model_cache):
    live = take_recognition_down(request.param, tmp_path / request.param, model_cache)
    yield live
    live.stop_everything()


def test_uploads_accepted_while_recognition_is_down_are_each_tagged_once_when_it_is_back(stack):
    user = ApiUser(stack.base_url)
    try:
        accepted = [user.upload(solid(color), f"{color}.jpg") for color in COLORS[:UPLOADS]]
        assert [r.status_code for r in accepted] == [202] * UPLOADS, [r.text for r in accepted]
        image_ids = [r.json()["id"] for r in accepted]
        time.sleep(1)  # the uploads service's relay keeps failing meanwhile (and the monolith has no workers)
        assert set(statuses(user, image_ids).values()) == {"pending"}
        jobs, queue, results = databases(stack)
        waiting = rows(jobs, "select status, count(*) from jobs where queue = ? group by status", queue)
        assert sum(count for status, count in waiting if status in ("ready", "leased")) == UPLOADS, waiting

        bring_recognition_back(stack)
        deadline = time.monotonic() + 60
        while set(found := statuses(user, image_ids).values()) != {"done"}:
            assert time.monotonic() < deadline, f"not all done within 60 s: {found}\n{stack.logs()}"
            time.sleep(0.25)

        marks = ",".join("?" * UPLOADS)
        assert rows(results, f"select count(*), count(distinct image_id) from results where image_id in ({marks})",
                    *image_ids) == [(UPLOADS, UPLOADS)]
        assert rows(jobs, "select count(*) from jobs where queue = ? and status = 'done'", queue) == [(UPLOADS,)]
        assert all(user.http.get(f"/api/v1/images/{image_id}").json()["tags"] for image_id in image_ids)
    finally:
        user.close()
