"""The one-time preparation of a deployable runs in a forked child of the gunicorn master (in_child_process):
its failure stops the start, and stopping the master meanwhile leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]

MASTER = """
import os, sys, time
from pathlib import Path
from shared.service.gunicorn_base import in_child_process

def work():
    Path(sys.argv[1]).write_text(str(os.getpid()))
    if sys.argv[2] == "fail":
        raise RuntimeError("the migration failed")
    time.sleep(float(sys.argv[2]))

in_child_process(work)
print("prepared", flush=True)
"""


def start_master(tmp_path: Path, behaviour: str) -> tuple[subprocess.Popen, Path]:
    pid_file = tmp_path / "child.pid"
    master = subprocess.Popen([sys.executable, "-c", MASTER, str(pid_file), behaviour], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return master, pid_file


def child_pid(pid_file: Path, master: subprocess.Popen) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and master.poll() is None:
        if pid_file.exists() and pid_file.read_text():
            return int(pid_file.read_text())
        time.sleep(0.02)
    pytest.fail(f"the child never started\n{master.communicate()}")


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_the_master_goes_on_once_the_child_has_prepared(tmp_path):
    master, pid_file = start_master(tmp_path, "0")
    out, err = master.communicate(timeout=30)

    assert master.returncode == 0, err
    assert out.strip() == "prepared"
    assert int(pid_file.read_text()) != master.pid  # the work ran in another process


def test_a_failed_preparation_stops_the_master_with_the_childs_error(tmp_path):
    master, _ = start_master(tmp_path, "fail")
    out, err = master.communicate(timeout=30)

    assert master.returncode == 1
    assert "prepared" not in out
    assert "RuntimeError: the migration failed" in err and "preparing failed" in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_master_while_it_prepares_stops_the_child_too(tmp_path, signum):
    master, pid_file = start_master(tmp_path, "60")
    child = child_pid(pid_file, master)

    os.kill(master.pid, signum)  # the master alone, as `kill PID` or a process manager does
    try:
        master.wait(timeout=15)
        assert gone(child), f"the preparing child {child} outlived its master"
    finally:
        if not gone(child, within=0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        out, err = master.communicate(timeout=15)  # the child held the pipes too
    assert "prepared" not in out
    if signum == signal.SIGTERM:
        assert master.returncode == -signal.SIGTERM  # it ended as TERM ends a process, not with an error of ours
    else:
        assert master.returncode != 0 and "KeyboardInterrupt" in err
