"""Fixtures that run a variant as real processes on loopback, as `twintag up` would."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from twintag import launcher
from twintag.stacks import SERVICES, ProcessSpec, microservices_stack, monolith_stack

VARIANTS = ["monolith", "microservices"]


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveStack:
    """A running variant: its public base URL and its processes, which fault tests may stop and restart."""

    variant: str
    base_url: str
    data_dir: Path
    specs: dict[str, ProcessSpec]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, timeout: float = 60.0) -> None:
        """Start one process and wait until it is healthy."""
        with open(self.data_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy of the fd
            self.processes[name] = launcher.start(self.specs[name], lambda _line: None, log)
        launcher.wait_healthy(self.specs[name], self.processes[name], timeout, lambda _line: None)

    def url_of(self, name: str) -> str:
        """The base URL of one process (a service's own port, for tests that bypass the gateway)."""
        return self.specs[name].health_url.removesuffix("/healthz")

    def stop(self, name: str) -> None:
        """Stop one process gracefully."""
        launcher.stop_all({name: self.processes.pop(name)}, lambda _line: None)

    def stop_everything(self) -> None:
        launcher.stop_all(self.processes, lambda _line: None)
        self.processes.clear()

    def logs(self) -> str:
        """Everything the processes wrote, for failure messages."""
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.data_dir.glob("*.log")))


def start_stack(variant: str, data_dir: Path, model_cache: Path, env: dict | None = None) -> LiveStack:
    """Start every process of a variant on free ports, with one shared model cache (and extra env vars)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if variant == "monolith":
        specs = monolith_stack(data_dir, port)
    else:
        specs = microservices_stack(data_dir, port, {name: free_port() for name in SERVICES})
    for spec in specs:
        spec.env["TWINTAG_MODEL_CACHE_DIR"] = str(model_cache)
        spec.env.update(env or {})
    stack = LiveStack(variant, f"http://127.0.0.1:{port}", data_dir, {s.name: s for s in specs})
    try:
        for spec in specs:
            stack.start(spec.name)
    except launcher.LaunchFailed as exc:
        stack.stop_everything()
        pytest.fail(f"{variant} did not start: {exc}\n{stack.logs()}")
    return stack


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One directory for the built ONNX model, shared by every process the tests start."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session", params=VARIANTS)
def live_stack(request, tmp_path_factory, model_cache) -> LiveStack:
    """A variant running as real processes for the whole session (black-box tests share it)."""
    stack = start_stack(request.param, tmp_path_factory.mktemp(request.param), model_cache)
    yield stack
    stack.stop_everything()
