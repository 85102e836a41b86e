"""The floor of one gateway -> service hop with this stack: gunicorn + Flask + httpx and nothing else.

Usage: python loadtests/bench_hop.py [--requests 1000] [--rounds 4] [--server-cpu 0] [--client-cpu 1]
Starts two empty Flask apps (loadtests/hop_floor_apps.py) under gunicorn with the product's own settings
(shared/service/gunicorn_base.py: gthread, one worker as `twintag up` runs each service), both pinned to one CPU.
`leaf` answers a small JSON document from memory; `relay` answers it by asking `leaf` through the product's
ServiceClient. One client on another CPU sends sequential GETs to each, alternating rounds, so the figures of a
round share the machine's mood. Prints, and writes to reports/hop-floor.json:
- added p50 per hop = p50(relay) - p50(leaf): one more gunicorn request and one httpx call, no product work;
- server CPU per request of each process, and where a hop's CPU goes: httpx in the caller (a loop in this
  process, against leaf), Flask alone (the leaf app called in-process), gunicorn (the rest of leaf's CPU).
compare.py measures the real hop (token checks, databases, metrics); this measures what any hop costs here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import httpx  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from loadtests.bench_pipeline import (  # noqa: E402
    REPORTS,
    HelpFormatter,
    free_port,
    machine,
    percentile,
    pin_self,
    pinned,
    print_rows,
    quiet,
    tree,
    write_report,
)
from loadtests.hop_floor_apps import create_leaf  # noqa: E402
from shared.http.client import make_http_client  # noqa: E402
from twintag import launcher  # noqa: E402
from twintag.stacks import ProcessSpec  # noqa: E402

ROUTE = "/v1/items/0193a1b2c3d4"
WARM_UP = 200


def spec(name: str, port: int, cpu: int, metrics_dir: str, extra: dict[str, str]) -> ProcessSpec:
    """One empty app under gunicorn with the product's gunicorn settings, pinned to cpu."""
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:shared.service.gunicorn_base",
            f"loadtests.hop_floor_apps:create_{name}()"]
    env = {"TWINTAG_BIND": f"127.0.0.1:{port}", "TWINTAG_WEB_WORKERS": "1", "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
           "PYTHONPATH": str(REPORTS.parent), **extra}
    return ProcessSpec(name, pinned(argv, [cpu]), port, env, f"http://127.0.0.1:{port}/healthz")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process tree (a gunicorn master and its worker)."""
    return sum(p.cpu_times().user + p.cpu_times().system for p in tree(pid))


def timed_gets(client: httpx.Client, url: str, count: int) -> list[float]:
    """Sequential GETs; milliseconds each."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        timings.append(1000 * (time.perf_counter() - started))
    return timings


def client_cpu_per_call(client: httpx.Client, url: str, count: int) -> float:
    """CPU milliseconds this thread spends per httpx call (the caller's share of a hop)."""
    started = time.thread_time()
    for _ in range(count):
        client.get(url).json()
    return 1000 * (time.thread_time() - started) / count


def flask_cpu_per_request(count: int) -> float:
    """CPU milliseconds of the leaf app itself, called in-process through WSGI (no server)."""
    app, environ = create_leaf(), EnvironBuilder(path=ROUTE).get_environ()
    start_response = lambda status, headers, exc_info=None: None  # noqa: E731
    for _ in range(WARM_UP):
        b"".join(app(dict(environ), start_response))
    started = time.process_time()
    for _ in range(count):
        b"".join(app(dict(environ), start_response))
    return 1000 * (time.process_time() - started) / count


def measure(args: argparse.Namespace) -> dict:
    """Start both apps, alternate rounds of sequential GETs, and return the figures."""
    ports = {"leaf": free_port(), "relay": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = {}
    with tempfile.TemporaryDirectory(prefix="twintag-hop-") as metrics_dir:
        specs = {"leaf": spec("leaf", ports["leaf"], args.server_cpu, metrics_dir, {}),
                 "relay": spec("relay", ports["relay"], args.server_cpu, metrics_dir,
                               {"TWINTAG_HOP_LEAF_URL": urls["leaf"]})}
        try:
            for name, process_spec in specs.items():
                with open(Path(metrics_dir) / f"{name}.log", "ab") as log:  # the child keeps its own copy of the fd
                    processes[name] = launcher.start(process_spec, quiet, log)
                launcher.wait_healthy(process_spec, processes[name], 30.0, quiet)
            pin_self([args.client_cpu])
            return run_rounds(args, urls, {name: p.pid for name, p in processes.items()})
        except launcher.LaunchFailed as exc:
            logs = "\n".join(log.read_text(errors="replace")[-3000:] for log in Path(metrics_dir).glob("*.log"))
            raise SystemExit(f"bench_hop: {exc}\n{logs}") from exc
        finally:
            launcher.stop_all(processes, quiet, grace=10.0)


def run_rounds(args: argparse.Namespace, urls: dict[str, str], pids: dict[str, int]) -> dict:
    """Alternating rounds; per target: latencies and the CPU of both processes per request."""
    timings: dict[str, list[float]] = {"leaf": [], "relay": []}
    cpu: dict[str, dict[str, float]] = {target: {"leaf": 0.0, "relay": 0.0} for target in timings}
    with httpx.Client(timeout=5.0) as client:
        for target in timings:
            timed_gets(client, urls[target] + ROUTE, WARM_UP)
        for round_number in range(args.rounds):
            order = ("leaf", "relay") if round_number % 2 == 0 else ("relay", "leaf")
            for target in order:
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                timings[target] += timed_gets(client, urls[target] + ROUTE, args.requests)
                for name, pid in pids.items():
                    cpu[target][name] += cpu_seconds(pid) - before[name]
        with make_http_client() as pooled:
            client_cpu = client_cpu_per_call(pooled, urls["leaf"] + ROUTE, args.requests)
    total = args.requests * args.rounds
    p50 = {target: percentile(values, 50) for target, values in timings.items()}
    per_request = {target: {name: round(1000 * seconds / total, 3) for name, seconds in used.items()}
                   for target, used in cpu.items()}
    flask = flask_cpu_per_request(args.requests)
    leaf_server = per_request["leaf"]["leaf"]
    return {"requests_per_target": total,
            "leaf_p50_ms": round(p50["leaf"], 3), "relay_p50_ms": round(p50["relay"], 3),
            "leaf_min_ms": round(min(timings["leaf"]), 3), "relay_min_ms": round(min(timings["relay"]), 3),
            "added_p50_per_hop_ms": round(p50["relay"] - p50["leaf"], 3),
            "added_min_per_hop_ms": round(min(timings["relay"]) - min(timings["leaf"]), 3),
            "server_cpu_ms_per_request": per_request,
            "added_cpu_per_hop_ms": round(sum(per_request["relay"].values()) - leaf_server, 3),
            "httpx_cpu_ms_per_call": round(client_cpu, 3),
            "flask_cpu_ms_per_request": round(flask, 3),
            "gunicorn_cpu_ms_per_request": round(leaf_server - flask, 3)}


def print_table(result: dict) -> None:
    """The figures, one per line."""
    cpu = result["server_cpu_ms_per_request"]
    lines = [("leaf, asked directly: p50 / fastest (ms)", f"{result['leaf_p50_ms']:.2f} / {result['leaf_min_ms']:.2f}"),
             ("relay -> leaf: p50 / fastest (ms)", f"{result['relay_p50_ms']:.2f} / {result['relay_min_ms']:.2f}"),
             ("added p50 per hop (ms)", f"{result['added_p50_per_hop_ms']:.2f}"),
             ("added per hop, fastest requests (ms)", f"{result['added_min_per_hop_ms']:.2f}"),
             ("added CPU per hop (ms)", f"{result['added_cpu_per_hop_ms']:.2f}"),
             ("server CPU per request, leaf asked directly (ms)", f"{cpu['leaf']['leaf']:.2f}"),
             ("  of which Flask alone, in-process (ms)", f"{result['flask_cpu_ms_per_request']:.2f}"),
             ("  of which gunicorn (ms)", f"{result['gunicorn_cpu_ms_per_request']:.2f}"),
             ("server CPU per request via relay: relay + leaf (ms)", f"{cpu['relay']['relay']:.2f} + "
                                                                      f"{cpu['relay']['leaf']:.2f}"),
             ("httpx CPU per call in the caller (ms)", f"{result['httpx_cpu_ms_per_call']:.2f}")]
    print_rows(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="sequential GETs per target per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds; the order of the targets alternates")
    parser.add_argument("--server-cpu", type=int, default=0, help="the CPU both apps are pinned to")
    parser.add_argument("--client-cpu", type=int, default=1, help="the CPU the client runs on")
    parser.add_argument("--out", type=Path, default=REPORTS / "hop-floor.json", help="where to write the figures")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure, print, write the JSON report."""
    args = parse_args(argv)
    started = machine()
    result = measure(args)
    print_table(result)
    write_report(args.out, "bench_hop.py", argv, started, result)


if __name__ == "__main__":
    main()
