"""`twintag up` as a user runs it: a foreground process that starts, reports, supervises and stops a variant."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.live import free_port

pytestmark = pytest.mark.system
REPO = Path(__file__).resolve().parents[2]


class Launcher:
    """`python -m twintag.cli up ...` with its output collected line by line."""

    def __init__(self, *args: str, data_dir: Path, hang_up_when_ready: bool = False, env: dict | None = None):
        self.process = subprocess.Popen([sys.executable, "-m", "twintag.cli", "up", *args, "--data-dir", str(data_dir)],
                                        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, args=(hang_up_when_ready,), daemon=True)
        self.reader.start()

    def _read(self, hang_up_when_ready: bool) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                if hang_up_when_ready and line.startswith("twintag: Press Ctrl-C"):
                    return  # closes our end of the pipe, like `twintag up | head -3` once head has exited

    def wait_for(self, text: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith("twintag:") and text in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"no {text!r} from twintag up:\n" + "\n".join(self.lines[-40:]))

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        self.reader.join(10)


@pytest.fixture
def launchers():
    started: list[Launcher] = []
    yield started
    for launcher in started:
        launcher.stop()


def assert_all_gone(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, [p.cmdline() for p in alive]


def test_up_monolith_reports_its_url_serves_and_stops_everything_on_term(tmp_path, launchers):
    port = free_port()
    launcher = Launcher("monolith", "--monolith-port", str(port), data_dir=tmp_path)
    launchers.append(launcher)
    launcher.wait_for(f"monolith: ready at http://127.0.0.1:{port}/")
    assert any("monolith: healthy after" in line for line in launcher.lines)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
    children = launcher.children()
    assert len(children) >= 2  # the gunicorn master and its workers
    launcher.process.send_signal(signal.SIGTERM)
    assert launcher.process.wait(60) == 0
    assert_all_gone(children)


def test_up_exits_non_zero_when_a_process_cannot_become_healthy(tmp_path, launchers):
    unreachable = "postgresql+psycopg://twintag@127.0.0.1:1/twintag"  # its migrations fail: gunicorn exits
    launcher = Launcher("monolith", "--monolith-port", str(free_port()), "--health-timeout", "30",
                        data_dir=tmp_path, env={"TWINTAG_DATABASE_URL": unreachable})
    launchers.append(launcher)
    assert launcher.process.wait(90) == 1
    launcher.reader.join(5)
    assert any("error: monolith exited with code" in line for line in launcher.lines), launcher.lines[-20:]


def test_up_refuses_a_port_something_else_listens_on(tmp_path, launchers):
    with socket.socket() as taken:  # its /healthz, if it had one, must not pass for the monolith's
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        launcher = Launcher("monolith", "--monolith-port", str(port), data_dir=tmp_path)
        launchers.append(launcher)
        assert launcher.process.wait(30) == 1
    launcher.reader.join(5)
    assert any(f"error: port {port} (monolith) is already in use" in line for line in launcher.lines), launcher.lines
    assert not any("starting" in line for line in launcher.lines)


def test_a_second_up_with_the_same_data_directory_leaves_the_first_alone(tmp_path, launchers):
    port = free_port()
    first = Launcher("monolith", "--monolith-port", str(port), data_dir=tmp_path)
    launchers.append(first)
    first.wait_for("Press Ctrl-C to stop.")
    metrics = sorted((tmp_path / "monolith" / "metrics").iterdir())
    second = Launcher("monolith", "--monolith-port", str(free_port()), data_dir=tmp_path)
    launchers.append(second)
    assert second.process.wait(30) == 1
    second.reader.join(5)
    assert any("is in use by another `twintag up`" in line for line in second.lines), second.lines
    assert sorted((tmp_path / "monolith" / "metrics").iterdir()) == metrics  # not wiped by the second start
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_during_start_up_stops_at_once_without_reporting_ready(tmp_path, launchers, signum):
    launcher = Launcher("monolith", "--monolith-port", str(free_port()), data_dir=tmp_path)
    launchers.append(launcher)
    launcher.wait_for("monolith: starting")
    children = launcher.children()
    launcher.process.send_signal(signum)
    assert launcher.process.wait(60) == 0
    launcher.reader.join(5)
    assert not any("ready at" in line for line in launcher.lines), launcher.lines
    assert_all_gone(children)


def test_a_closed_terminal_does_not_leave_processes_behind(tmp_path, launchers):
    port = free_port()
    launcher = Launcher("monolith", "--monolith-port", str(port), data_dir=tmp_path, hang_up_when_ready=True)
    launchers.append(launcher)
    launcher.wait_for("Press Ctrl-C to stop.")
    children = launcher.children()
    launcher.reader.join(10)
    launcher.process.send_signal(signal.SIGHUP)  # what a closing terminal sends; the processes have own sessions
    launcher.process.wait(60)
    assert_all_gone(children)


def four_free_ports() -> int:
    """The first of four consecutive ports that were free a moment ago (not 8101-8104, which `make up` uses)."""
    for first in range(20101, 29000, 7):
        try:
            for port in range(first, first + 4):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise AssertionError("no four consecutive free ports")


def test_up_both_starts_the_two_variants_side_by_side(tmp_path, launchers):
    monolith_port, gateway_port, services_port = free_port(), free_port(), four_free_ports()
    launcher = Launcher("both", "--monolith-port", str(monolith_port), "--gateway-port", str(gateway_port),
                        "--services-port", str(services_port), data_dir=tmp_path)
    launchers.append(launcher)
    launcher.wait_for("Press Ctrl-C to stop.")
    for port in (monolith_port, gateway_port):
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{services_port + 3}/healthz").json()["service"] == "results"
    children = launcher.children()
    launcher.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert launcher.process.wait(60) == 0
    assert_all_gone(children)
