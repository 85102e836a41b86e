"""Runs a set of processes in the foreground: start, wait until healthy, supervise, stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import IO

import httpx

from twintag.stacks import ProcessSpec

Say = Callable[[str], None]


class LaunchFailed(Exception):
    """A process exited or did not become healthy in time."""


def start(spec: ProcessSpec, say: Say, output: IO | None = None) -> subprocess.Popen:
    """Start one process in its own process group, with the spec's environment added."""
    process = subprocess.Popen(spec.argv, env={**os.environ, **spec.env}, start_new_session=True,
                               stdout=output, stderr=output)
    say(f"{spec.name}: starting (pid {process.pid})")
    return process


def wait_healthy(spec: ProcessSpec, process: subprocess.Popen, timeout: float, say: Say) -> float:
    """Poll the health URL over HTTP (the port opens before workers load); return the seconds it took."""
    started = time.monotonic()
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() - started < timeout:
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
    """Send TERM to every process group, wait for a graceful exit, then KILL what is left."""
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


def run(specs: list[ProcessSpec], say: Say, *, health_timeout: float = 60.0) -> int:
    """Start every process, wait until all are healthy, print URLs, then supervise until TERM or Ctrl-C."""
    processes: dict[str, subprocess.Popen] = {}
    stopping = False

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        for spec in specs:
            processes[spec.name] = start(spec, say)
        for spec in specs:
            wait_healthy(spec, processes[spec.name], health_timeout, say)
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
    except KeyboardInterrupt:
        return 0
    except LaunchFailed as exc:
        say(f"error: {exc}")
        return 1
    finally:
        stop_all(processes, say)
        signal.signal(signal.SIGTERM, previous)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
