"""`twintag sla check`: drive a short, bounded load through the public API and hold each service to its SLO file.

    twintag sla check --host http://127.0.0.1:8080 --variant microservices
    twintag sla check --host http://127.0.0.1:8000 --variant monolith --duration 10

The objectives live next to each provider's contract: microservices/<svc>/slo.yaml (the gateway's file holds the
public API's objectives, which the monolith serves too). The check runs Locust (contracts/slo_locustfile.py) in a
subprocess at the rate the public SLO states, then compares, per service and endpoint:
- client-side latencies (what Locust saw through the public API), and
- the service's own histograms from /metrics (twintag_http_request_duration_seconds, scraped before and after,
  so only the requests of this run count),
against p50/p95/p99 budgets and the error budget. It prints objective / measured / verdict and exits 1 on a
breach (2 when it could not measure at all).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
SLO_DIR = REPO / "microservices"
LOCUSTFILE = REPO / "contracts" / "slo_locustfile.py"
PUBLIC = "gateway"  # its slo.yaml holds the public API's objectives, for either variant
INTERNAL = ("users", "uploads", "recognition", "results")
DEFAULT_PORTS = {"users": 8101, "uploads": 8102, "recognition": 8103, "results": 8104}
HISTOGRAM = "twintag_http_request_duration_seconds"
MAX_DURATION = 300
QUANTILES = ("p50", "p95", "p99")


# --- objectives ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    endpoint: str  # "GET /api/v1/images/{image_id}"
    p50: float  # milliseconds
    p95: float
    p99: float

    @property
    def method_and_route(self) -> tuple[str, str]:
        """The labels the service's histogram uses: ("GET", "/api/v1/images/<image_id>")."""
        method, _, path = self.endpoint.partition(" ")
        return method.upper(), path.replace("{", "<").replace("}", ">")


@dataclass(frozen=True)
class Slo:
    service: str
    availability: float  # percent of requests answered without a server error
    error_budget: float  # percent allowed to fail: 100 - availability
    requests_per_second: float
    users: int
    min_samples: int
    objectives: tuple[Objective, ...]

    @classmethod
    def load(cls, path: Path) -> Slo:
        body = yaml.safe_load(Path(path).read_text())
        objectives = tuple(Objective(endpoint, float(o["p50_ms"]), float(o["p95_ms"]), float(o["p99_ms"]))
                           for endpoint, o in body["endpoints"].items())
        load = body.get("load", {})
        return cls(body["service"], float(body["availability_percent"]), float(body["error_budget_percent"]),
                   float(load.get("requests_per_second", 0)), int(load.get("users", 1)),
                   int(body.get("min_samples", 20)), objectives)


def load_slos(slo_dir: Path, services: tuple[str, ...]) -> dict[str, Slo]:
    return {name: Slo.load(Path(slo_dir) / name / "slo.yaml") for name in services}


# --- measurements -------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    count: int = 0
    errors: int = 0
    ms: dict[str, float] = field(default_factory=dict)  # p50/p95/p99 in milliseconds


Histograms = dict[tuple[str, str, str, str], dict[float, float]]  # (service, method, route, status) -> {le: count}


def parse_histograms(text: str) -> Histograms:
    """The request-duration histograms in a Prometheus text exposition, as cumulative bucket counts."""
    from prometheus_client.parser import text_string_to_metric_families

    found: Histograms = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        if family.name != HISTOGRAM:
            continue
        for sample in family.samples:
            if sample.name == f"{HISTOGRAM}_bucket":
                labels = sample.labels
                key = (labels.get("service", ""), labels.get("method", ""), labels.get("route", ""),
                       labels.get("status", ""))
                found[key][float(labels["le"])] = sample.value
    return dict(found)


def scrape(url: str) -> Histograms | None:
    """The histograms at url/metrics, or None if the service does not answer."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/metrics", timeout=5.0)
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    return parse_histograms(response.text)


def difference(after: Histograms, before: Histograms) -> Histograms:
    """What was observed between two scrapes (a restarted process starts again from zero)."""
    result = {}
    for key, buckets in after.items():
        old = before.get(key, {})
        delta = {le: count - old.get(le, 0.0) for le, count in buckets.items()}
        if any(v < 0 for v in delta.values()):
            delta = dict(buckets)
        if delta.get(math.inf, 0) > 0:
            result[key] = delta
    return result


def quantile(buckets: dict[float, float], q: float) -> float:
    """Estimate a quantile (seconds) from cumulative buckets, interpolating inside a bucket like PromQL does."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return math.nan
    rank, lower, below = q * total, 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return math.inf
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = bound, count
    return math.inf


def server_side(histograms: Histograms, service: str) -> dict[tuple[str, str], Measurement]:
    """Per (method, route) of one service: requests, server errors (5xx) and latency quantiles."""
    merged: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    errors: dict[tuple[str, str], int] = defaultdict(int)
    for (name, method, route, status), buckets in histograms.items():
        if name != service or route == "/metrics":
            continue
        for le, count in buckets.items():
            merged[(method, route)][le] += count
        if status.startswith("5"):
            errors[(method, route)] += int(buckets.get(math.inf, 0))
    result = {}
    for key, buckets in merged.items():
        ms = {name: 1000 * quantile(buckets, q) for name, q in zip(QUANTILES, (0.5, 0.95, 0.99), strict=True)}
        result[key] = Measurement(int(buckets.get(math.inf, 0)), errors[key], ms)
    return result


def client_side(stats_csv: Path) -> dict[str, Measurement]:
    """Per Locust request name (= endpoint): requests, failures and latency percentiles."""
    result = {}
    with open(stats_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" or not row["Type"]:
                continue
            name = row["Name"] if row["Name"].startswith(row["Type"]) else f"{row['Type']} {row['Name']}"
            ms = {name_: float(row[column]) if row[column] not in ("", "N/A") else math.nan
                  for name_, column in zip(QUANTILES, ("50%", "95%", "99%"), strict=True)}
            result[name] = Measurement(int(row["Request Count"]), int(row["Failure Count"]), ms)
    return result


# --- verdicts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    service: str
    endpoint: str
    source: str  # "client" (Locust, through the public API) or "server" (the service's /metrics)
    objective: str
    measured: str
    verdict: str  # "ok", "BREACH", or "n/a" (not enough traffic to judge)

    @property
    def breach(self) -> bool:
        return self.verdict.startswith("BREACH")


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return ">10000" if math.isinf(value) else f"{value:.0f}"


def latency_rows(slo: Slo, service: str, source: str, measured_by: dict) -> list[Row]:
    rows = []
    for objective in slo.objectives:
        key = objective.endpoint if source == "client" else objective.method_and_route
        wanted = f"p50 {objective.p50:g} / p95 {objective.p95:g} / p99 {objective.p99:g} ms"
        found = measured_by.get(key)
        if found is None or found.count == 0:
            rows.append(Row(service, objective.endpoint, source, wanted, "no requests", "n/a"))
            continue
        shown = f"p50 {_ms(found.ms['p50'])} / p95 {_ms(found.ms['p95'])} / p99 {_ms(found.ms['p99'])} ms " \
                f"(n={found.count})"
        if found.count < slo.min_samples:
            rows.append(Row(service, objective.endpoint, source, wanted, shown, "n/a"))
            continue
        limits = {"p50": objective.p50, "p95": objective.p95, "p99": objective.p99}
        over = [name for name in QUANTILES if not found.ms[name] <= limits[name]]
        rows.append(Row(service, objective.endpoint, source, wanted, shown,
                        "BREACH " + ",".join(over) if over else "ok"))
    return rows


def availability_row(slo: Slo, service: str, source: str, measured_by: dict) -> Row:
    total = sum(m.count for m in measured_by.values())
    errors = sum(m.errors for m in measured_by.values())
    wanted = f"availability {slo.availability:g}% (error budget {slo.error_budget:g}%)"
    if total == 0:
        return Row(service, "all requests", source, wanted, "no requests", "n/a")
    rate = 100.0 * errors / total
    verdict = "ok" if rate <= slo.error_budget else "BREACH"
    return Row(service, "all requests", source, wanted, f"{errors} errors of {total} ({rate:.2f}%)", verdict)


def format_table(rows: list[Row]) -> str:
    header = ("service", "endpoint", "source", "objective", "measured", "verdict")
    table = [header, *((r.service, r.endpoint, r.source, r.objective, r.measured, r.verdict) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in table]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


# --- the check ----------------------------------------------------------------------------------------------


def run_load(host: str, *, users: int, rate: float, duration: int, work_dir: Path) -> Path:
    """Run Locust headless for `duration` seconds; return its stats CSV."""
    prefix = Path(work_dir) / "sla"
    env = {**os.environ, "TWINTAG_SLA_RPS_PER_USER": f"{rate / users:.3f}"}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
               "-u", str(users), "-r", str(users), "-t", f"{duration}s", "--stop-timeout", "5",
               "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 60)
    stats = Path(f"{prefix}_stats.csv")
    if completed.returncode != 0 or not stats.exists():
        raise RuntimeError(f"locust failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return stats


def service_urls(host: str, overrides: list[str]) -> dict[str, str]:
    """Where each internal service's /metrics is: --service name=URL, else its default port on the host."""
    hostname = urlsplit(host).hostname or "127.0.0.1"
    urls = {name: f"http://{hostname}:{port}" for name, port in DEFAULT_PORTS.items()}
    for item in overrides:
        name, _, url = item.partition("=")
        if name not in DEFAULT_PORTS or not url:
            raise SystemExit(f"--service wants NAME=URL with NAME one of {', '.join(DEFAULT_PORTS)}: {item!r}")
        urls[name] = url
    return urls


def check(args: argparse.Namespace) -> int:
    duration = max(1, min(int(args.duration), MAX_DURATION))
    internal = () if args.variant == "monolith" or args.public_only else INTERNAL
    slos = load_slos(Path(args.slo_dir), (PUBLIC, *internal))
    public = slos[PUBLIC]
    users, rate = args.users or public.users, args.rate or public.requests_per_second
    public_label = "monolith" if args.variant == "monolith" else "gateway"
    targets = {public_label: args.host.rstrip("/"), **{n: u for n, u in service_urls(args.host, args.service).items()
                                                       if n in internal}}
    before = {name: scrape(url) for name, url in targets.items()}
    if before[public_label] is None:
        print(f"twintag sla: {args.host}/metrics does not answer; is the {args.variant} running there?",
              file=sys.stderr)
        return 2
    print(f"twintag sla: {users} users, {rate:g} requests/s in total, for {duration} s against {args.host} "
          f"({args.variant})", flush=True)
    with tempfile.TemporaryDirectory(prefix="twintag-sla-") as work:
        try:
            stats = run_load(args.host, users=users, rate=rate, duration=duration, work_dir=Path(work))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"twintag sla: could not run the load: {exc}", file=sys.stderr)
            return 2
        client = client_side(stats)
    after = {name: scrape(url) for name, url in targets.items()}
    rows = evaluate(slos, public_label, client, before, after)
    print(format_table(rows))
    breaches = [r for r in rows if r.breach]
    print(f"\n{len(breaches)} objective(s) breached" if breaches else "\nevery objective met")
    return 1 if breaches else 0


def evaluate(slos: dict[str, Slo], public_label: str, client: dict[str, Measurement],
             before: dict[str, Histograms | None], after: dict[str, Histograms | None]) -> list[Row]:
    """The table: the public API client-side and server-side, then each internal service server-side."""
    rows = latency_rows(slos[PUBLIC], public_label, "client", client)
    rows.append(availability_row(slos[PUBLIC], public_label, "client", client))
    for name, slo in slos.items():
        label = public_label if name == PUBLIC else name
        if after.get(label) is None or before.get(label) is None:
            rows.append(Row(label, "all requests", "server", "/metrics answers", "no answer from /metrics", "BREACH"))
            continue
        measured = server_side(difference(after[label], before[label]), label)
        rows += latency_rows(slo, label, "server", measured)
        rows.append(availability_row(slo, label, "server", measured))
    return rows


def add_parser(commands) -> None:
    """Add `twintag sla check` to the CLI's subcommands."""
    parser = commands.add_parser("sla", help="check service-level objectives under a short load")
    sub = parser.add_subparsers(dest="sla_command", required=True)
    run = sub.add_parser("check", help="drive a short load and compare latencies and errors with each slo.yaml")
    run.add_argument("--host", required=True, help="the public URL: the monolith or the gateway")
    run.add_argument("--variant", choices=["monolith", "microservices"], default="microservices")
    run.add_argument("--duration", type=int, default=20, help=f"seconds of load (at most {MAX_DURATION})")
    run.add_argument("--users", type=int, default=0, help="simulated users (default: the public SLO's)")
    run.add_argument("--rate", type=float, default=0.0, help="requests/s in total (default: the public SLO's)")
    run.add_argument("--service", action="append", default=[], metavar="NAME=URL",
                     help="where an internal service's /metrics is (default: its port on the host)")
    run.add_argument("--public-only", action="store_true", help="do not scrape the internal services")
    run.add_argument("--slo-dir", default=str(SLO_DIR), help="the folder holding <service>/slo.yaml")
    run.set_defaults(func=check)
