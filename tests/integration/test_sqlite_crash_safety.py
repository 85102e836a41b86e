"""Row 8 of RELIABILITY.md: SIGKILL of concurrent SQLite writers never corrupts the database or loses a commit."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from monolith.bootstrap import bootstrap, prepare
from shared.domain.ids import new_id
from shared.settings import settings_in

ROOT = Path(__file__).resolve().parents[2]
ITERATIONS = 20
UPLOADERS = 2  # plus one queue worker that claims and completes the jobs the uploads enqueue
CHILD_LIFETIME = 10.0  # a child nobody killed ends itself


def write_until_killed(data_dir: Path, report: Path, data: bytes) -> None:
    """In a forked child: upload and work off jobs through the real code path, reporting each commit."""
    monolith = bootstrap(settings_in(data_dir))
    fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    owner = new_id()

    def say(line: str) -> None:
        os.write(fd, f"{' '.join(line.split())}\n".encode())  # one write per line: a kill never leaves half

    def upload(number: int) -> None:
        for count in range(10**6):
            try:
                say(f"image {monolith.images.accept(owner, data, 'a.jpg', f'{report.name}-{number}-{count}').id}")
            except Exception as exc:  # reported, then the test fails on it
                say(f"error {type(exc).__name__}: {str(exc)[:200]}")

    def work() -> None:
        while True:
            try:
                for job in monolith.queue.claim(f"{report.name}-worker", limit=2):
                    if monolith.queue.complete(job):
                        say(f"job {job.id}")
            except Exception as exc:
                say(f"error {type(exc).__name__}: {str(exc)[:200]}")

    for target, args in [(upload, (n,)) for n in range(UPLOADERS)] + [(work, ())]:
        threading.Thread(target=target, args=args, daemon=True).start()
    time.sleep(CHILD_LIFETIME)


def zygote(data_dir: Path) -> None:
    """Import once, then fork one writer per line read and report its pid and how it ended."""
    from tests.support.images import solid

    data = solid("teal")
    while line := sys.stdin.readline():
        pid = os.fork()
        if pid == 0:
            try:
                write_until_killed(data_dir, Path(line.strip()), data)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        print(pid, flush=True)
        print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)


def reported(report: Path) -> dict[str, set[str]]:
    """What the child said it committed (and the errors it saw), by kind."""
    found: dict[str, set[str]] = {"image": set(), "job": set(), "error": set()}
    for line in report.read_text().splitlines() if report.exists() else []:
        kind, _, value = line.partition(" ")
        found[kind].add(value)
    return found


def check_database(settings, said: dict[str, set[str]]) -> None:
    """Intact, in WAL mode, and holding every reported commit; every row has its bytes."""
    db = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        images = {row[0] for row in db.execute("SELECT id FROM images")}
        jobs = dict(db.execute("SELECT key, status FROM jobs"))
        done = {str(row[0]) for row in db.execute("SELECT id FROM jobs WHERE status = 'done'")}
    finally:
        db.close()
    assert said["image"] <= images, "a reported upload is missing"
    assert images <= set(jobs), "an image was committed without its recognition job"
    assert said["job"] <= done, "a reported completion is missing"
    missing = [i for i in images if not (settings.object_store_dir / "images" / i).is_file()]
    assert missing == [], "an image row has no bytes"


def test_sigkill_of_concurrent_writers_keeps_sqlite_intact_and_every_reported_commit(tmp_path):
    settings = settings_in(tmp_path / "data")
    prepare(settings)
    rng, totals, started = random.Random(), {"image": 0, "job": 0}, time.monotonic()
    with subprocess.Popen([sys.executable, "-m", "tests.integration.test_sqlite_crash_safety", str(settings.data_dir)],
                          cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as helper:
        try:
            for iteration in range(ITERATIONS):
                report = tmp_path / f"run-{iteration}.log"
                helper.stdin.write(f"{report}\n")
                helper.stdin.flush()
                pid = int(helper.stdout.readline())
                time.sleep(rng.uniform(0.05, 0.6))
                os.kill(pid, signal.SIGKILL)
                assert int(helper.stdout.readline()) == -signal.SIGKILL
                said = reported(report)
                assert said["error"] == set(), f"iteration {iteration}: a writer failed: {said['error']}"
                check_database(settings, said)
                totals = {kind: totals[kind] + len(said[kind]) for kind in totals}
        finally:
            helper.stdin.close()
    assert helper.returncode == 0
    assert totals["image"] >= ITERATIONS and totals["job"] > 0, totals
    assert time.monotonic() - started < 40


if __name__ == "__main__":
    zygote(Path(sys.argv[1]))
