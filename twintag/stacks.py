"""Which processes make up each variant when run locally with `twintag up`."""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

import microservices
import monolith


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: its command, environment and the URL that says it is healthy."""

    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    health_url: str = ""
    public_url: str = ""
    unset: tuple[str, ...] = ()  # variables of the caller's environment this process must not inherit


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
    return [ProcessSpec("monolith", gunicorn_argv(config, "monolith.wsgi:create_app()"), port, env,
                        f"{base}/healthz", f"{base}/")]


SERVICES = ("users", "uploads", "recognition", "results")


def microservices_stack(data_dir: Path, gateway_port: int, service_ports: dict[str, int]) -> list[ProcessSpec]:
    """The microservices: four services, each with its own database, then the gateway in front of them."""
    home = data_dir / "microservices"
    urls = {f"TWINTAG_{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in service_ports.items()}
    secrets_by_caller = {name: secrets.token_urlsafe(24) for name in ("uploads", "recognition")}
    common = {**urls, "TWINTAG_OBJECT_STORE_DIR": str(home / "objects"), "TWINTAG_WEB_WORKERS": "1",
              "TWINTAG_SERVICE_SECRETS": ",".join(f"{k}:{v}" for k, v in secrets_by_caller.items())}
    ports = {**service_ports, "gateway": gateway_port}
    specs = []
    for name in (*SERVICES, "gateway"):
        base = f"http://127.0.0.1:{ports[name]}"
        env = {**common, "TWINTAG_DATA_DIR": str(home / name), "TWINTAG_BIND": f"127.0.0.1:{ports[name]}",
               "PROMETHEUS_MULTIPROC_DIR": str(home / name / "metrics"),
               "TWINTAG_SERVICE_SECRET": secrets_by_caller.get(name, "")}
        config = Path(microservices.__file__).parent / name / "gunicorn.conf.py"
        specs.append(ProcessSpec(name, gunicorn_argv(config, f"microservices.{name}.wsgi:create_app()"), ports[name],
                                 env, f"{base}/healthz", f"{base}/" if name == "gateway" else "", unset=PER_SERVICE))
    return specs


# One database URL in the caller's environment would put every service's tables in one database: each service
# keeps its own SQLite file under the data directory instead (docker compose runs them on PostgreSQL).
PER_SERVICE = ("TWINTAG_DATABASE_URL",)
DEFAULT_SERVICES_PORT = 8101


def service_ports(first: int = DEFAULT_SERVICES_PORT) -> dict[str, int]:
    """The four services' ports: `first` and the three after it."""
    return {name: first + offset for offset, name in enumerate(SERVICES)}
