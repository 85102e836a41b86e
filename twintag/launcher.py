"""Runs a set of processes in the foreground: start, wait until healthy, supervise, stop cleanly."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

from twintag.stacks import ProcessSpec

Say = Callable[[str], None]


class LaunchFailed(Exception):
    """A process exited or did not become healthy in time."""


class Stopped(Exception):  # noqa: N818 - not an error: TERM, HUP or Ctrl-C arrived while starting
    """Asked to stop before every process was healthy."""


def lock_data_dir(home: Path) -> IO:
    """Hold a lock on a variant's data directory for as long as the returned file stays open, so that a second
    `twintag up` with the same directory stops before it touches the running one's files."""
    home.mkdir(parents=True, exist_ok=True)
    handle = open(home / ".twintag-up.lock", "a+")  # noqa: SIM115 - kept open on purpose: it holds the lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise LaunchFailed(f"{home} is in use by another `twintag up`: stop it, or choose another --data-dir") from None
    return handle


def check_ports_free(specs: list[ProcessSpec]) -> None:
    """Refuse to start on a port something else listens on: its /healthz could pass for ours."""
    seen: dict[int, str] = {}
    for spec in specs:
        if spec.port in seen:
            raise LaunchFailed(f"{spec.name} and {seen[spec.port]} would both use port {spec.port}")
        seen[spec.port] = spec.name
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no owner
            try:
                probe.bind(("127.0.0.1", spec.port))
            except OSError:
                raise LaunchFailed(f"port {spec.port} ({spec.name}) is already in use, maybe by another `twintag up`: "
                                   "stop it, or choose other ports (--monolith-port, --gateway-port, "
                                   "--services-port)") from None


def start(spec: ProcessSpec, say: Say, output: IO | None = None) -> subprocess.Popen:
    """Start one process in its own process group, with the spec's environment added."""
    inherited = {key: value for key, value in os.environ.items() if key not in spec.unset}
    process = subprocess.Popen(spec.argv, env={**inherited, **spec.env}, start_new_session=True,
                               stdout=output, stderr=output)
    say(f"{spec.name}: starting (pid {process.pid})")
    return process


def wait_healthy(spec: ProcessSpec, process: subprocess.Popen, timeout: float, say: Say,
                 stopping: Callable[[], bool] = lambda: False) -> float:
    """Poll the health URL over HTTP (the port opens before workers load); return the seconds it took."""
    started = time.monotonic()
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() - started < timeout:
            if stopping():
                raise Stopped
            if process.poll() is not None:
                raise LaunchFailed(f"{spec.name} exited with code {process.returncode} before it was healthy")
            try:
                if client.get(spec.health_url).status_code == 200:
                    elapsed = time.monotonic() - started
                    say(f"{spec.name}: healthy after {elapsed:.1f} s")
                    return elapsed
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise LaunchFailed(f"{spec.name} was not healthy within {timeout:.0f} s ({spec.health_url})")


def stop_all(processes: dict[str, subprocess.Popen], say: Say, grace: float = 25.0) -> None:
    """Send TERM to every process group, wait for a graceful exit, then KILL what is left; a second Ctrl-C
    meanwhile kills them at once."""
    try:
        for name, process in processes.items():
            if process.poll() is None:
                say(f"{name}: stopping")
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name}: did not stop in {grace:.0f} s; killing")
                _signal_group(process, signal.SIGKILL)
                process.wait()
    except KeyboardInterrupt:
        say("stopping at once")
        for process in processes.values():
            _signal_group(process, signal.SIGKILL)
            process.wait()


def run(specs: list[ProcessSpec], say: Say, *, health_timeout: float = 60.0) -> int:
    """Start every process, wait until all are healthy, print URLs, then supervise until TERM or Ctrl-C."""
    processes: dict[str, subprocess.Popen] = {}
    stopping = False

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    # TERM, and HUP when the terminal closes: the processes run in sessions of their own, so nothing else stops them.
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        check_ports_free(specs)
        for spec in specs:
            processes[spec.name] = start(spec, say)
        for spec in specs:
            wait_healthy(spec, processes[spec.name], health_timeout, say, lambda: stopping)
        for spec in specs:
            if spec.public_url:
                say(f"{spec.name}: ready at {spec.public_url}")
        say("Press Ctrl-C to stop.")
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise LaunchFailed(f"{name} exited unexpectedly with code {process.returncode}")
            time.sleep(0.2)
        return 0
    except (KeyboardInterrupt, Stopped):
        return 0
    except LaunchFailed as exc:
        say(f"error: {exc}")
        return 1
    finally:
        stop_all(processes, say)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
