"""Pipeline benchmark: start-up time, idle memory, upload -> tags latency and queue drain rate of each variant.

Usage: python loadtests/bench_pipeline.py [--variant monolith|microservices|both] [--rate 5] [--seconds 30]
                                          [--drain-images 300] [--quick] [--out reports/pipeline.json]
Each variant runs as real processes on free loopback ports in a temporary data directory, one after the other.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import httpx  # noqa: E402
import psutil  # noqa: E402
from PIL import Image  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from twintag import launcher  # noqa: E402
from twintag.stacks import SERVICES, ProcessSpec, microservices_stack, monolith_stack  # noqa: E402

VARIANTS = ("monolith", "microservices")
RECOGNIZER = {"monolith": "monolith", "microservices": "recognition"}  # the process that runs recognition
PHOTOS = ("coffee", "chelsea", "astronaut", "rocket", "camera")
TAG_TIMEOUT = 30.0
PASSWORD = "bench-password-123"
REPORTS = REPO / "reports"


def quiet(_line: str) -> None:
    """A launcher callback that prints nothing."""


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, formatted."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict:
    """What the figures were measured on."""
    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "load_average": load_average()}


def sample_images() -> list[bytes]:
    """Photo-sized JPEGs: scikit-image's sample photos (as bench_classify.py), or textured noise without it."""
    try:
        from skimage import data as samples

        pictures = [Image.fromarray(getattr(samples, name)()) for name in PHOTOS]
    except ImportError:
        pictures = [Image.effect_noise((512, 384), 40 + 10 * i).convert("RGB") for i in range(len(PHOTOS))]
    encoded = []
    for picture in pictures:
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=90)
        encoded.append(out.getvalue())
    return encoded


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- running a variant -------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(argv: list[str], cpus: Iterable[int] | None) -> list[str]:
    """Prefix a command with `taskset -c` when CPUs are given and taskset exists."""
    if cpus is None or not shutil.which("taskset"):
        return argv
    return ["taskset", "-c", ",".join(str(c) for c in cpus), *argv]


def pin_self(cpus: Iterable[int]) -> None:
    """Pin this process to `cpus` where the system can (Linux); elsewhere (macOS) the figures are just noisier."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(cpus))


def set_affinity(pid: int, cpus: Iterable[int] | None) -> None:
    """Pin a process and its children (the fallback when taskset is missing; harmless otherwise)."""
    if cpus is None or not hasattr(os, "sched_setaffinity"):
        return
    for process in tree(pid):
        try:
            os.sched_setaffinity(process.pid, set(cpus))
        except (ProcessLookupError, PermissionError):
            pass


def tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (a gunicorn master and its workers)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@dataclass
class Stack:
    """A running variant: its processes, where to reach them, and how long each took to become healthy."""

    variant: str
    base_url: str
    data_dir: Path
    specs: dict[str, ProcessSpec]
    cpus: list[int] | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    healthy_after: dict[str, float] = field(default_factory=dict)

    def url_of(self, name: str) -> str:
        """The base URL of one process."""
        return self.specs[name].health_url.removesuffix("/healthz")

    def start(self, names: Iterable[str] | None = None, timeout: float = 60.0) -> float:
        """Start processes together, wait until all are healthy; return seconds from first start to all healthy."""
        names = list(names or self.specs)
        started = time.monotonic()
        for name in names:
            with open(self.data_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy of the fd
                self.processes[name] = launcher.start(self.specs[name], quiet, log)
            set_affinity(self.processes[name].pid, self.cpus if not shutil.which("taskset") else None)
        for name in names:
            launcher.wait_healthy(self.specs[name], self.processes[name], timeout, quiet)
            self.healthy_after[name] = time.monotonic() - started
        for name in names:
            set_affinity(self.processes[name].pid, self.cpus)
        return time.monotonic() - started

    def restart(self, name: str, env: dict[str, str]) -> float:
        """Stop one process, change its environment, start it again; return seconds until healthy."""
        self.stop([name])
        self.specs[name] = replace(self.specs[name], env={**self.specs[name].env, **env})
        return self.start([name])

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Stop some processes (all by default) gracefully."""
        chosen = {n: self.processes.pop(n) for n in list(names or self.processes) if n in self.processes}
        launcher.stop_all(chosen, quiet, grace=15.0)

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def logs(self) -> str:
        """The tail of every process's log, for error messages."""
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.data_dir.glob("*.log")))


@contextmanager
def scratch_dir(tool: str, args: argparse.Namespace) -> Iterator[Path]:
    """A temporary work directory for one tool run; args.model_cache defaults to a folder in it."""
    with tempfile.TemporaryDirectory(prefix=f"twintag-{tool}-") as scratch:
        workdir = Path(scratch)
        args.model_cache = args.model_cache or workdir / "model-cache"
        yield workdir


def make_stack(variant: str, data_dir: Path, model_cache: Path, *, env: dict[str, str] | None = None,
               recognizer_env: dict[str, str] | None = None, cpus: list[int] | None = None) -> Stack:
    """The specs of a variant on free ports, optionally pinned to CPUs (not started yet)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if variant == "monolith":
        specs = monolith_stack(data_dir, port)
    else:
        specs = microservices_stack(data_dir, port, {name: free_port() for name in SERVICES})
    extra = {"TWINTAG_MODEL_CACHE_DIR": str(model_cache), "TWINTAG_LOG_LEVEL": "WARNING", **(env or {})}
    for i, spec in enumerate(specs):
        own = recognizer_env if spec.name == RECOGNIZER[variant] else None
        specs[i] = replace(spec, argv=pinned(spec.argv, cpus), env={**spec.env, **extra, **(own or {})})
    return Stack(variant, f"http://127.0.0.1:{port}", data_dir, {s.name: s for s in specs}, cpus)


def start_stack(variant: str, data_dir: Path, model_cache: Path, **options) -> tuple[Stack, float]:
    """Start a variant; return it and the seconds from the first process start until every process is healthy."""
    stack = make_stack(variant, data_dir, model_cache, **options)
    try:
        return stack, stack.start()
    except launcher.LaunchFailed as exc:
        stack.stop()
        raise SystemExit(f"{variant} did not start: {exc}\n{stack.logs()}") from exc


# --- measuring processes -----------------------------------------------------------------------------------------


def memory(stack: Stack) -> dict:
    """RSS, USS and PSS in MiB of each process tree and of the whole stack (RSS double-counts shared pages)."""
    per_process = {}
    for name, pid in stack.pids().items():
        totals = {"rss": 0.0, "uss": 0.0, "pss": 0.0, "processes": 0}
        for process in tree(pid):
            try:
                info = process.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            totals["processes"] += 1
            for key in ("rss", "uss", "pss"):
                totals[key] += getattr(info, key, 0) / 2**20
        per_process[name] = {k: round(v, 1) for k, v in totals.items()}
    total = {k: round(sum(p[k] for p in per_process.values()), 1) for k in ("rss", "uss", "pss", "processes")}
    return {"total": total, "by_process": per_process}


def cpu_by_process(stack: Stack) -> dict[str, float]:
    """User + system CPU seconds used so far by each process tree of the stack."""
    used = {}
    for name, pid in stack.pids().items():
        used[name] = 0.0
        for process in tree(pid):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used[name] += times.user + times.system
    return used


def cpu_seconds(stack: Stack) -> float:
    """User + system CPU seconds used so far by every process of the stack."""
    return sum(cpu_by_process(stack).values())


def idle_cpu_percent(stack: Stack, seconds: float) -> float:
    """CPU the stack uses while nobody calls it (background threads polling their queues), in % of one core."""
    before, started = cpu_seconds(stack), time.monotonic()
    time.sleep(seconds)
    return round(100 * (cpu_seconds(stack) - before) / (time.monotonic() - started), 1)


def scrape(url: str) -> list[tuple[str, dict, float]]:
    """Every sample of a Prometheus /metrics page as (name, labels, value)."""
    text = httpx.get(f"{url}/metrics", timeout=5.0).text
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def recognition_mean_ms(url: str) -> float | None:
    """Mean wall time of recognize() as the recognizing process reports it (twintag_recognition_duration_seconds)."""
    totals = {"_sum": 0.0, "_count": 0.0}
    for name, _labels, value in scrape(url):
        for suffix in totals:
            if name == f"twintag_recognition_duration_seconds{suffix}":
                totals[suffix] += value
    return round(1000 * totals["_sum"] / totals["_count"], 1) if totals["_count"] else None


def queue_counts(url: str) -> dict[str, float]:
    """Jobs by status in the queue(s) a process reports (twintag_queue_jobs)."""
    counts: dict[str, float] = {}
    for name, labels, value in scrape(url):
        if name == "twintag_queue_jobs":
            counts[labels["status"]] = counts.get(labels["status"], 0) + value
    return counts


# --- talking to the public API -----------------------------------------------------------------------------------


def api_client(connections: int = 64) -> httpx.Client:
    """One pooled client shared by the benchmark's threads."""
    return httpx.Client(timeout=httpx.Timeout(10.0, connect=2.0),
                        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


def sign_up(client: httpx.Client, base: str) -> dict[str, str]:
    """Register a fresh user and return the Authorization header of its token."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    client.post(f"{base}/api/v1/users", json={"email": email, "password": PASSWORD}).raise_for_status()
    token = client.post(f"{base}/api/v1/tokens", json={"email": email, "password": PASSWORD})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def upload(client: httpx.Client, base: str, headers: dict, image: bytes) -> str:
    """Upload one image; return its id."""
    response = client.post(f"{base}/api/v1/images", headers=headers,
                           files={"file": ("photo.jpg", image, "image/jpeg")})
    if response.status_code != 202:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:200]}")
    return response.json()["id"]


def wait_for_tags(client: httpx.Client, base: str, headers: dict, image_id: str, *, poll: float = 0.05,
                  timeout: float = TAG_TIMEOUT) -> str:
    """Poll an image until recognition is over; return its final status ("timeout" if it never ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"{base}/api/v1/images/{image_id}", headers=headers)
        if response.status_code == 200 and response.json()["status"] in ("done", "failed"):
            return response.json()["status"]
        time.sleep(poll)
    return "timeout"


# --- (c) upload -> tags latency at a constant rate ----------------------------------------------------------------


def upload_latency(base: str, images: list[bytes], *, rate: float, seconds: float, poll: float = 0.05) -> dict:
    """Open-loop: start an upload every 1/rate s, poll each every `poll` s; latency counts from the planned start."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    with api_client() as client:
        headers = sign_up(client, base)

        def one(planned: float, image: bytes) -> None:
            try:
                status = wait_for_tags(client, base, headers, upload(client, base, headers, image), poll=poll)
            except (httpx.HTTPError, RuntimeError) as exc:
                status = f"error: {type(exc).__name__}"
            with lock:
                outcomes[status] = outcomes.get(status, 0) + 1
                if status == "done":
                    latencies.append(time.monotonic() - planned)

        count = max(1, round(rate * seconds))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for i in range(count):
                planned = started + i / rate
                time.sleep(max(0.0, planned - time.monotonic()))
                pool.submit(one, planned, images[i % len(images)])
    ms = [1000 * x for x in latencies]
    return {"rate_per_s": rate, "seconds": seconds, "uploads": count, "outcomes": outcomes, "done": len(ms),
            "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1) if ms else None,
            "load_average": load_average()}


def warm_up(base: str, images: list[bytes], count: int = 4) -> float:
    """A few concurrent uploads through to their tags, so every worker loads its model; return the seconds taken."""
    with api_client(8) as client:
        headers = sign_up(client, base)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            ids = list(pool.map(lambda i: upload(client, base, headers, images[i % len(images)]), range(count)))
            list(pool.map(lambda i: wait_for_tags(client, base, headers, i, timeout=60.0), ids))
        return time.monotonic() - started


# --- (d) recognition throughput through the queue -----------------------------------------------------------------


def fill_queue(base: str, images: list[bytes], count: int, threads: int = 4) -> float:
    """Upload `count` images as fast as `threads` clients can; return uploads per second."""
    with api_client(threads * 2) as client:
        headers = sign_up(client, base)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda i: upload(client, base, headers, images[i % len(images)]), range(count)))
        return count / (time.monotonic() - started)


def wait_for_queue(url: str, status: str, count: int, timeout: float) -> bool:
    """Wait until a process reports `count` jobs in `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue_counts(url).get(status, 0) >= count:
            return True
        time.sleep(0.2)
    return False


@dataclass
class DrainWatch:
    """What was seen while a queue drained: when the first and last jobs ended, and the CPU used by then."""

    first: float | None = None
    first_done: float = 0.0
    finished: float | None = None
    over: float = 0.0
    dead: float = 0.0
    cpu_at_first: dict[str, float] = field(default_factory=dict)


def watch_drain(stack: Stack, url: str, count: int, deadline: float, interval: float) -> DrainWatch:
    """Sample the queue gauge until `count` jobs are over (done or dead) or the deadline passes."""
    seen = DrainWatch()
    while time.monotonic() < deadline:
        counts = queue_counts(url)
        seen.over, seen.dead = counts.get("done", 0) + counts.get("dead", 0), counts.get("dead", 0)
        now = time.monotonic()
        if seen.over and seen.first is None:
            seen.first, seen.first_done, seen.cpu_at_first = now, seen.over, cpu_by_process(stack)
        if seen.over >= count:
            seen.finished = now
            break
        time.sleep(interval)
    return seen


def drain(stack: Stack, count: int, timeout: float, interval: float = 0.25) -> dict:
    """Restart the (paused) recognizer with one thread and time how fast it empties the queue."""
    name = RECOGNIZER[stack.variant]
    restarted = time.monotonic()
    stack.restart(name, {"TWINTAG_RECOGNITION_THREADS": "1"})
    url = stack.url_of(name)
    seen = watch_drain(stack, url, count, restarted + timeout, interval)
    end = seen.finished or time.monotonic()
    cpu_now = cpu_by_process(stack)
    drained = seen.over - seen.first_done if seen.first is not None else 0
    split = {n: (cpu_now[n] - seen.cpu_at_first.get(n, 0.0)) / drained for n in cpu_now} if drained else {}
    per_image = sum(split.values())
    return {"images": count, "finished": seen.finished is not None, "dead": seen.dead,
            "images_per_s": round(drained / (end - seen.first), 1) if drained else 0.0,
            "wall_ms_per_image": round(1000 * (end - seen.first) / drained, 1) if drained else None,
            "recognize_mean_ms": recognition_mean_ms(url),
            "images_per_s_from_restart": round(seen.over / (end - restarted), 1),
            "images_per_cpu_s": round(1 / per_image, 1) if per_image > 0 else None,
            "cpu_seconds_per_image_ms": round(1000 * per_image, 1) if drained else None,
            "cpu_ms_per_image_by_process": {n: round(1000 * c, 1) for n, c in split.items()},
            "first_job_after_s": round(seen.first - restarted, 2) if seen.first else None,
            "load_average": load_average()}


def queue_throughput(variant: str, scratch: Path, model_cache: Path, images: list[bytes], *, count: int,
                     cpus: list[int], workers: int, timeout: float) -> dict:
    """Fill the queue with recognition paused, then drain it with one thread, the whole stack pinned to `cpus`."""
    stack, startup = start_stack(variant, scratch / f"{variant}-drain", model_cache, cpus=cpus,
                                 env={"TWINTAG_WEB_WORKERS": str(workers)},
                                 recognizer_env={"TWINTAG_RECOGNITION_THREADS": "0"})
    try:
        intake = fill_queue(stack.base_url, images, count)
        if not wait_for_queue(stack.url_of(RECOGNIZER[variant]), "ready", count, timeout=60.0):
            raise SystemExit(f"{variant}: the recognition queue never held {count} jobs\n{stack.logs()}")
        result = drain(stack, count, timeout)
        return {"cpus": cpus, "web_workers": workers, "recognition_threads": 1, "startup_pinned_s": round(startup, 2),
                "uploads_per_s_pinned": round(intake, 1), **result}
    finally:
        stack.stop()


# --- one variant, all phases --------------------------------------------------------------------------------------


def bench_variant(variant: str, scratch: Path, model_cache: Path, images: list[bytes], args: argparse.Namespace,
                  say: Callable[[str], None]) -> dict:
    """(a) start-up, (b) idle memory, (c) upload -> tags latency, (d) queue drain rate of one variant."""
    say(f"{variant}: starting (load {load_average()})")
    stack, startup = start_stack(variant, scratch / variant, model_cache, env=dict(args.env))
    try:
        cold = memory(stack)
        first = warm_up(stack.base_url, images)
        idle_cpu = idle_cpu_percent(stack, args.idle_seconds)
        idle = memory(stack)
        say(f"{variant}: healthy after {startup:.2f} s; idle RSS {idle['total']['rss']:.0f} MiB; "
            f"{args.rate}/s uploads for {args.seconds:.0f} s")
        cpu_before = cpu_seconds(stack)
        latency = upload_latency(stack.base_url, images, rate=args.rate, seconds=args.seconds, poll=args.poll)
        latency["cpu_seconds"] = round(cpu_seconds(stack) - cpu_before, 2)
        loaded = memory(stack)
    finally:
        stack.stop()
    say(f"{variant}: upload -> tags p95 {latency['p95_ms']} ms; draining {args.drain_images} images on CPU "
        f"{args.drain_cpu}")
    queue = queue_throughput(variant, scratch, model_cache, images, count=args.drain_images, cpus=[args.drain_cpu],
                             workers=args.drain_workers, timeout=args.drain_timeout)
    return {"startup_s": round(startup, 2), "healthy_after_s": {k: round(v, 2) for k, v in stack.healthy_after.items()},
            "warm_up_s": round(first, 2), "idle_cpu_percent": idle_cpu, "memory_cold": cold, "memory_idle": idle,
            "memory_after_load": loaded, "upload_to_tags": latency, "queue": queue}


# --- report -------------------------------------------------------------------------------------------------------


def table(results: dict[str, dict]) -> str:
    """The figures of each variant side by side, as a Markdown table."""
    rows = [
        ("start -> all healthy (s)", lambda r: f"{r['startup_s']:.2f}"),
        ("idle RSS, sum of processes (MiB)", lambda r: f"{r['memory_idle']['total']['rss']:.0f}"),
        ("idle PSS (MiB)", lambda r: f"{r['memory_idle']['total']['pss']:.0f}"),
        ("idle USS (MiB)", lambda r: f"{r['memory_idle']['total']['uss']:.0f}"),
        ("processes", lambda r: f"{r['memory_idle']['total']['processes']:.0f}"),
        ("idle CPU (% of one core)", lambda r: f"{r['idle_cpu_percent']:.1f}"),
        ("upload -> tags p50 (ms)", lambda r: f"{r['upload_to_tags']['p50_ms']:.0f}"),
        ("upload -> tags p95 (ms)", lambda r: f"{r['upload_to_tags']['p95_ms']:.0f}"),
        ("upload -> tags p99 (ms)", lambda r: f"{r['upload_to_tags']['p99_ms']:.0f}"),
        ("uploads done / sent", lambda r: f"{r['upload_to_tags']['done']} / {r['upload_to_tags']['uploads']}"),
        ("drain, 1 core (images/s)", lambda r: f"{r['queue']['images_per_s']:.1f}"),
        ("drain per CPU-second (images)", lambda r: _num(r['queue']['images_per_cpu_s'])),
        ("CPU per image, whole stack (ms)", lambda r: _num(r['queue']['cpu_seconds_per_image_ms'])),
        ("drain: wall per image (ms)", lambda r: _num(r['queue']['wall_ms_per_image'])),
        ("drain: of which recognize() (ms)", lambda r: _num(r['queue']['recognize_mean_ms'])),
    ]
    names = list(results)
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |" for label, cell in rows]
    return "\n".join(lines)


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the description's line breaks and shows each option's default."""


def print_rows(rows: list[tuple[str, str]]) -> None:
    """Print label / value pairs as two aligned columns."""
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def write_report(path: Path, script: str, argv: list[str] | None, started: dict, body: dict) -> None:
    """Write a tool's JSON report: the command, the machine at start and end, then its figures."""
    report = {"command": " ".join([f"python loadtests/{script}", *(sys.argv[1:] if argv is None else argv)]),
              "machine": started, "load_average_end": load_average(), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
              **body}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (--quick shrinks every phase to a few seconds)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--variant", default="both", choices=[*VARIANTS, "both"], help="which variant(s) to run")
    parser.add_argument("--rate", type=float, default=5.0, help="uploads per second in the latency phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls of an uploaded image")
    parser.add_argument("--drain-images", type=int, default=300, help="images queued for the drain phase")
    parser.add_argument("--drain-cpu", type=int, default=0, help="the CPU the stack is pinned to while draining")
    parser.add_argument("--drain-workers", type=int, default=1, help="gunicorn workers while draining")
    parser.add_argument("--drain-timeout", type=float, default=90.0, help="give up draining after this long")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="how long idle CPU is measured")
    parser.add_argument("--model-cache", type=Path, default=None, help="reuse a built model (default: a temp dir)")
    parser.add_argument("--env", action="append", default=[], type=lambda kv: tuple(kv.split("=", 1)),
                        metavar="KEY=VALUE", help="extra environment for every process in phases a-c (repeatable)")
    parser.add_argument("--out", type=Path, default=REPORTS / "pipeline.json", help="the JSON report")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 uploads/s for 3 s, 10 drained images")
    args = parser.parse_args(argv)
    if args.quick:
        args.rate, args.seconds, args.drain_images, args.drain_timeout, args.idle_seconds = 2.0, 3.0, 10, 30.0, 1.0
    return args


def main(argv: list[str] | None = None) -> None:
    """Run every phase for the chosen variant(s), print a table and write the JSON report."""
    args = parse_args(argv)
    say = lambda line: print(f"bench_pipeline: {line}", flush=True)  # noqa: E731
    variants = list(VARIANTS) if args.variant == "both" else [args.variant]
    images = sample_images()
    report = {"machine": machine(), "settings": {k: str(v) for k, v in vars(args).items()}, "variants": {}}
    with scratch_dir("bench", args) as workdir:
        for variant in variants:
            report["variants"][variant] = bench_variant(variant, workdir, args.model_cache, images, args, say)
    report["load_average_end"] = load_average()
    if len(variants) == 2:
        rss = [report["variants"][v]["memory_idle"]["total"]["rss"] for v in VARIANTS]
        report["idle_rss_ratio_microservices_to_monolith"] = round(rss[1] / rss[0], 2)
        report["idle_rss_both_mib"] = round(sum(rss), 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{report['machine']['cpus']} cpus, load average {report['machine']['load_average']} at start, "
          f"{report['load_average_end']} at end")
    print(table(report["variants"]))
    for variant, result in report["variants"].items():
        split = ", ".join(f"{k} {v:.1f}" for k, v in result["queue"]["cpu_ms_per_image_by_process"].items())
        print(f"{variant}: CPU ms per drained image by process: {split}")
    if "idle_rss_ratio_microservices_to_monolith" in report:
        print(f"idle RSS microservices/monolith = {report['idle_rss_ratio_microservices_to_monolith']:.2f}, "
              f"both together {report['idle_rss_both_mib']:.0f} MiB")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
