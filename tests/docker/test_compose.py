"""The Docker tier: build every image, bring each compose profile up, drive the public API through the published ports.

Skips with a reason when the Docker engine or Compose is missing, except where the tier is required
(CI=true or TWINTAG_REQUIRE_DOCKER=1): there a missing engine fails the run instead.

- Images build FROM $TWINTAG_PYTHON_IMAGE (CI: its debootstrapped image, see .ci/docker-setup.sh; default
  python:3.12-slim) with `--network host`, and with this machine's package index settings, if pip has any.
- Compose runs $POSTGRES_IMAGE when set (CI: its local PostgreSQL image; default postgres:16).
- Compose v2 (`docker compose`) when present, else v1 (`docker-compose`).
- Every project gets its own name and free host ports, and is removed with `down -v` whatever happens.
- Image sizes, build times and the time from `up` to healthy are printed and written to
  reports/docker/summary.json.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.blackbox import CAT_LABELS, COFFEE_LABELS, ApiUser
from tests.support.images import photo

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
REPORT = ROOT / "reports" / "docker" / "summary.json"
DEPLOYABLES = {  # image name -> Dockerfile, as docker-compose.yml names them
    "monolith": "monolith/Dockerfile",
    **{name: f"microservices/{name}/Dockerfile" for name in ("users", "uploads", "recognition", "results", "gateway")},
}
MICROSERVICES = ("postgres", "users", "uploads", "results", "recognition", "gateway")
BUILD_TIMEOUT = 1800  # seconds per image; a first build downloads every wheel
HEALTHY_TIMEOUT = 240
BURST = 15


def docker_required() -> bool:
    """True where a missing Docker engine must fail the run rather than skip it."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("TWINTAG_REQUIRE_DOCKER") == "1"


def _answers(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_command() -> list[str] | None:
    """`docker compose` (v2) if this machine has it, else `docker-compose` (v1), else None."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) and _answers([*command, "version"]):
            return command
    return None


@pytest.fixture(scope="session")
def compose() -> list[str]:
    """The compose command; skips (or fails where required) without a Docker engine and Compose."""
    missing = []
    if not shutil.which("docker"):
        missing.append("no docker command on PATH")
    elif not _answers(["docker", "info"]):
        missing.append("`docker info` fails (is dockerd running, and may this user reach its socket?)")
    command = compose_command() if not missing else None
    if not missing and command is None:
        missing.append("neither `docker compose` nor `docker-compose` works")
    if missing:
        reason = (f"{'; '.join(missing)}; on Debian: apt-get install docker.io docker-compose and start dockerd "
                  "(CI runs .ci/docker-setup.sh)")
        if docker_required():
            pytest.fail(f"Docker tier required here (CI=true or TWINTAG_REQUIRE_DOCKER=1) but {reason}", pytrace=False)
        pytest.skip(f"Docker tier skipped: {reason}")
    return command


@pytest.fixture(scope="session")
def summary() -> dict:
    """Figures the tier measures, printed and written to reports/docker/summary.json at the end."""
    figures: dict = {"python_image": python_image(), "postgres_image": os.environ.get("POSTGRES_IMAGE", "postgres:16")}
    yield figures
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nDocker tier figures ({REPORT}):\n{json.dumps(figures, indent=2)}")


def python_image() -> str:
    return os.environ.get("TWINTAG_PYTHON_IMAGE") or "python:3.12-slim"


def pip_index_build_args() -> list[str]:
    """This machine's package index settings (pip's config files and PIP_* variables) as build args.

    Only http(s) indexes are passed on: file:// indexes and find-links name this machine's disk, which the
    build cannot see. Nothing is passed when pip uses its defaults.
    """
    try:
        listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                                 timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    settings: dict[str, str] = {}
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        option = key.rpartition(".")[2]
        if option in ("index-url", "extra-index-url", "trusted-host"):
            settings[option] = value.strip().strip("'\"")  # later sources (the environment) win
    args = []
    for option in ("index-url", "extra-index-url", "trusted-host"):
        words = settings.get(option, "").split()
        if option != "trusted-host":
            words = [w for w in words if w.startswith(("http://", "https://"))]
        if words:
            args += ["--build-arg", f"PIP_{option.upper().replace('-', '_')}={' '.join(words)}"]
    return args


@pytest.fixture(scope="session")
def images(compose, summary) -> dict[str, str]:
    """Build every deployable's image, tagged as docker-compose.yml names them (layer cache makes rebuilds quick)."""
    common = ["--network", "host", "--build-arg", f"PYTHON_IMAGE={python_image()}", *pip_index_build_args()]
    built, seconds, sizes = {}, {}, {}
    for name, dockerfile in DEPLOYABLES.items():
        tag = f"twintag/{name}:latest"
        argv = ["docker", "build", *common, "-f", str(ROOT / dockerfile), "-t", tag, str(ROOT)]
        started = time.monotonic()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        seconds[name] = round(time.monotonic() - started, 1)
        if result.returncode != 0:
            pytest.fail(f"building {tag} failed:\n$ {shlex.join(argv)}\n{(result.stdout + result.stderr)[-6000:]}",
                        pytrace=False)
        size = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True,
                              text=True, check=True).stdout.strip()
        sizes[name] = round(int(size) / 1e6)
        built[name] = tag
    summary["build_seconds"], summary["image_mb"] = seconds, sizes
    return built


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ComposeFailed(AssertionError):
    pass


@dataclass
class ComposeProject:
    """One compose project with its own name, its own volumes and free host ports."""

    command: list[str]
    profiles: list[str]
    name: str = field(default_factory=lambda: f"twintag-test-{uuid.uuid4().hex[:8]}")
    monolith_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "TWINTAG_MONOLITH_PORT": str(self.monolith_port),
                "TWINTAG_GATEWAY_PORT": str(self.gateway_port)}

    def run(self, *args: str, timeout: float = 600, check: bool = True, profiles: list[str] | None = None) -> str:
        chosen = self.profiles if profiles is None else profiles
        argv = [*self.command, "-f", str(COMPOSE_FILE), "-p", self.name,
                *(arg for profile in chosen for arg in ("--profile", profile)), *args]
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise ComposeFailed(f"$ {shlex.join(argv)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}\n{self.logs()}")
        return result.stdout

    def up(self, *args: str) -> None:
        self.run("up", "-d", "--no-build", *args)

    def containers(self) -> list[dict]:
        """Each container of the project, running or not: id, service, state and health."""
        ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.name}"],
                             capture_output=True, text=True, check=True).stdout.split()
        if not ids:
            return []
        template = ('{{.Id}}|{{index .Config.Labels "com.docker.compose.service"}}|{{.State.Status}}|'
                    '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}')
        listing = subprocess.run(["docker", "inspect", "--format", template, *ids], capture_output=True, text=True,
                                 check=True).stdout
        keys = ("id", "service", "state", "health")
        return [dict(zip(keys, line.split("|"), strict=True)) for line in listing.splitlines() if line.strip()]

    def wait_healthy(self, expected: dict[str, int], timeout: float = HEALTHY_TIMEOUT) -> float:
        """Wait until exactly `expected` containers per service run healthy; return the seconds waited."""
        started = time.monotonic()
        while True:
            containers = self.containers()
            broken = [c for c in containers if c["state"] not in ("created", "running") or c["health"] == "unhealthy"]
            if broken:
                raise ComposeFailed(f"containers failed: {broken}\n{self.logs()}")
            healthy: dict[str, int] = {}
            for c in containers:
                if c["state"] == "running" and c["health"] == "healthy":
                    healthy[c["service"]] = healthy.get(c["service"], 0) + 1
            if healthy == expected:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise ComposeFailed(f"not healthy after {timeout} s: {containers}\n{self.logs()}")
            time.sleep(0.5)

    def logs(self) -> str:
        try:
            argv = [*self.command, "-f", str(COMPOSE_FILE), "-p", self.name, "--profile", "monolith",
                    "--profile", "microservices", "logs", "--no-color", "--tail", "40"]
            result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=120)
            return f"---- compose logs ----\n{result.stdout[-12000:]}{result.stderr[-2000:]}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"(no logs: {exc})"

    def down(self) -> None:
        self.run("down", "-v", "--remove-orphans", "--timeout", "10", check=False,
                 profiles=["monolith", "microservices"])


def project(compose: list[str], *profiles: str):
    """A fresh compose project for the given profiles, removed with its volumes afterwards."""
    running = ComposeProject(compose, list(profiles))
    try:
        yield running
    finally:
        running.down()


@pytest.fixture
def monolith_project(compose, images):
    yield from project(compose, "monolith")


@pytest.fixture
def microservices_project(compose, images):
    yield from project(compose, "microservices")


@pytest.fixture
def both_projects(compose, images):
    yield from project(compose, "monolith", "microservices")


def up_and_time(running: ComposeProject, expected: dict[str, int], *args: str) -> float:
    """`up -d`, then wait until every container is healthy; the seconds from `up` to healthy."""
    started = time.monotonic()
    running.up(*args)
    running.wait_healthy(expected)
    return round(time.monotonic() - started, 1)


def check_black_box_flow(base_url: str) -> str:
    """Register, log in, upload a photo, see its tags; another user gets 404. Returns the image id."""
    owner, stranger = ApiUser(base_url), ApiUser(base_url)
    try:
        accepted = owner.upload(photo("coffee"), "coffee.jpg")
        assert accepted.status_code == 202, accepted.text
        image_id = accepted.json()["id"]
        image = owner.wait_until_finished(image_id, timeout=120)
        labels = {tag["label"] for tag in image["tags"]}
        assert image["status"] == "done", image
        assert labels & COFFEE_LABELS, labels
        for path in (f"/api/v1/images/{image_id}", f"/api/v1/images/{image_id}/content"):
            assert stranger.http.get(path).status_code == 404
        assert owner.http.get(f"/api/v1/images/{image_id}/content").status_code == 200
        return image_id
    finally:
        owner.close()
        stranger.close()


def check_token_survives_restart(running: ComposeProject, base_url: str, services: list[str],
                                 expected: dict[str, int]) -> None:
    """A token issued before a restart still works after it: the signing key lives in a volume."""
    user = ApiUser(base_url)
    try:
        assert user.http.get("/api/v1/images").status_code == 200
        running.run("restart", "--timeout", "10", *services)
        running.wait_healthy(expected)
        response = user.http.get("/api/v1/images")
        assert response.status_code == 200, response.text
    finally:
        user.close()


def jobs_done_by_each_replica(running: ComposeProject) -> list[int]:
    """How many jobs each recognition container finished, from its own /metrics (not published)."""
    script = ("import re, urllib.request as u; text = u.urlopen('http://127.0.0.1:8103/metrics', timeout=5).read()"
              ".decode(); print(sum(float(v) for v in re.findall("
              "r'^twintag_recognition_jobs_total\\{[^}]*outcome=\"done\"[^}]*\\} (\\S+)', text, re.M)))")
    counts = []
    for container in running.containers():
        if container["service"] == "recognition":
            out = subprocess.run(["docker", "exec", container["id"], "python3", "-c", script], capture_output=True,
                                 text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            counts.append(int(float(out.stdout.strip() or 0)))
    return counts


WITH_ONNXRUNTIME = {"monolith", "recognition"}


def test_each_image_runs_as_non_root_and_carries_only_its_dependencies(images):
    probe = ("import importlib.util as u, os; "
             "print(os.getuid(), *(u.find_spec(m) is not None for m in ('onnxruntime', 'PIL', 'psycopg')))")
    for name, tag in images.items():
        out = subprocess.run(["docker", "run", "--rm", tag, "python3", "-c", probe], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        uid, onnxruntime, pillow, psycopg = out.stdout.split()
        assert uid == "10001", (name, uid)
        assert (onnxruntime == "True") == (name in WITH_ONNXRUNTIME), (name, "onnxruntime", onnxruntime)
        assert (pillow == "True") == (name in WITH_ONNXRUNTIME | {"uploads"}), (name, "Pillow", pillow)
        assert (psycopg == "True") == (name != "gateway"), (name, "psycopg", psycopg)


def test_monolith_profile_serves_the_black_box_flow(monolith_project, summary):
    expected = {"postgres": 1, "monolith": 1}
    summary["up_to_healthy_seconds_monolith"] = up_and_time(monolith_project, expected)
    base_url = f"http://127.0.0.1:{monolith_project.monolith_port}"
    check_black_box_flow(base_url)
    check_token_survives_restart(monolith_project, base_url, ["monolith"], expected)


def test_microservices_profile_serves_the_flow_and_recognition_scales_to_three(microservices_project, summary):
    expected = {name: 1 for name in MICROSERVICES}
    summary["up_to_healthy_seconds_microservices"] = up_and_time(microservices_project, expected)
    base_url = f"http://127.0.0.1:{microservices_project.gateway_port}"
    check_black_box_flow(base_url)
    check_token_survives_restart(microservices_project, base_url, ["users", "gateway"], expected)

    scaled = {**expected, "recognition": 3}
    before = {c["id"] for c in microservices_project.containers()}
    summary["scale_to_three_seconds"] = up_and_time(microservices_project, scaled, "--scale", "recognition=3")
    assert before < {c["id"] for c in microservices_project.containers()}, "scaling recreated running containers"
    samples = {name: photo(name) for name in ("coffee", "chelsea", "astronaut", "rocket", "camera")}
    user = ApiUser(base_url)
    try:
        started = time.monotonic()
        names = [list(samples)[i % len(samples)] for i in range(BURST)]
        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(lambda n: user.upload(samples[n], f"{n}.jpg"), names))
        assert [r.status_code for r in responses] == [202] * BURST, [r.text for r in responses if r.status_code != 202]
        images = [user.wait_until_finished(r.json()["id"], timeout=180) for r in responses]
        summary["burst_seconds"] = round(time.monotonic() - started, 1)
    finally:
        user.close()
    assert [image["status"] for image in images] == ["done"] * BURST, images
    assert all(image["tags"] for image in images), images
    by_name = dict(zip(names, images, strict=True))
    assert {t["label"] for t in by_name["coffee"]["tags"]} & COFFEE_LABELS
    assert {t["label"] for t in by_name["chelsea"]["tags"]} & CAT_LABELS
    per_replica = jobs_done_by_each_replica(microservices_project)
    summary["burst_jobs_per_recognition_replica"] = per_replica
    assert len(per_replica) == 3 and sum(per_replica) >= BURST, per_replica
    assert sum(1 for count in per_replica if count) >= 2, f"one replica did all the work: {per_replica}"


def test_both_profiles_run_side_by_side(both_projects, summary):
    expected = {"monolith": 1, **{name: 1 for name in MICROSERVICES}}
    summary["up_to_healthy_seconds_both"] = up_and_time(both_projects, expected)
    with ThreadPoolExecutor(max_workers=2) as pool:
        flows = [pool.submit(check_black_box_flow, f"http://127.0.0.1:{port}")
                 for port in (both_projects.monolith_port, both_projects.gateway_port)]
        for flow in flows:
            flow.result()
