"""Which processes make up each variant when run locally with `twintag up`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import monolith


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: its command, environment and the URL that says it is healthy."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    health_url: str = ""
    public_url: str = ""


def gunicorn_argv(config: Path, app: str) -> list[str]:
    """The command that runs a Flask app factory under gunicorn with a config file."""
    return [sys.executable, "-m", "gunicorn", "-c", str(config), app]


def monolith_stack(data_dir: Path, port: int) -> list[ProcessSpec]:
    """The monolith: one gunicorn (web workers, each with recognition threads)."""
    home = data_dir / "monolith"
    base = f"http://127.0.0.1:{port}"
    env = {"TWINTAG_DATA_DIR": str(home), "TWINTAG_BIND": f"127.0.0.1:{port}",
           "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics")}
    config = Path(monolith.__file__).parent / "gunicorn.conf.py"
    return [ProcessSpec("monolith", gunicorn_argv(config, "monolith.wsgi:create_app()"), env,
                        f"{base}/healthz", f"{base}/")]
