"""Compare the variants under the same load and CPU budget: server pinned to one CPU, Locust pinned to another.

Usage: python loadtests/compare.py [--runs 2] [--reads-seconds 20] [--mixed-seconds 30] [--quick]
For each run, each variant (alternating the order) is started pinned to --server-cpu, seeded with a few tagged images,
then measured three ways: per-hop latency (one client, sequential GETs, plus the services' own /metrics), a read-heavy
Locust run (loadtests/locust_reads.py) and the mixed Locust scenario (loadtests/locustfile.py). Writes
reports/comparison.md, reports/comparison.json and reports/comparison-*.png (charts need matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import httpx  # noqa: E402

from loadtests.bench_pipeline import (  # noqa: E402
    REPORTS,
    VARIANTS,
    HelpFormatter,
    Stack,
    api_client,
    cpu_by_process,
    cpu_seconds,
    idle_cpu_percent,
    load_average,
    machine,
    memory,
    percentile,
    pin_self,
    pinned,
    sample_images,
    scrape,
    scratch_dir,
    sign_up,
    start_stack,
    upload,
    wait_for_tags,
)

LOCUSTFILES = {"reads": REPO / "loadtests" / "locust_reads.py", "mixed": REPO / "loadtests" / "locustfile.py"}
ENTRY = {"monolith": "monolith", "microservices": "gateway"}  # the process that answers the public API
PUBLIC_ROUTE = "/api/v1/images/<image_id>"
QUIET_ROUTES = {"/metrics", "/healthz", "/readyz"}
READ_NAME = "GET /api/v1/images/{id}"  # as in locust_reads.py (importing it would load locust's gevent patching)
SEED_ENV = "TWINTAG_READS_SEED"
SEED_IMAGES = 3
HOP_WARM_UP = 20

Say = Callable[[str], None]


# --- Locust -------------------------------------------------------------------------------------------------------


def run_locust(scenario: str, host: str, *, users: int, seconds: float, cpu: int, workdir: Path,
               env: dict[str, str]) -> list[dict]:
    """Run one headless Locust scenario pinned to `cpu`; return its final per-endpoint stats (--json-file)."""
    prefix = workdir / f"locust-{scenario}-{time.monotonic_ns()}"
    argv = pinned([sys.executable, "-m", "locust", "-f", str(LOCUSTFILES[scenario]), "--host", host, "--headless",
                   "-u", str(users), "-r", str(users), "-t", f"{seconds:.0f}s", "--only-summary",
                   "--loglevel", "WARNING", "--json-file", str(prefix)], [cpu])
    pin = None if argv[0] == "taskset" else (lambda: pin_self([cpu]))
    with open(f"{prefix}.log", "wb") as log:
        subprocess.run(argv, env={**os.environ, **env}, stdout=log, stderr=log, preexec_fn=pin, cwd=REPO,
                       timeout=seconds + 60, check=False)
    result = Path(f"{prefix}.json")
    if not result.exists():
        raise SystemExit(f"locust wrote no stats; its log:\n{Path(f'{prefix}.log').read_text()[-3000:]}")
    return json.loads(result.read_text())


def histogram_percentile(times: dict[str, int], q: float) -> float:
    """A percentile (0-100) of Locust's response-time histogram {rounded ms: count}."""
    total = sum(times.values())
    if not total:
        return float("nan")
    seen = 0
    for ms in sorted(times, key=float):
        seen += times[ms]
        if seen >= total * q / 100:
            return float(ms)
    return float(max(times, key=float))


def merge_times(entries: list[dict]) -> dict[str, int]:
    """Add up the response-time histograms of several Locust entries."""
    merged: dict[str, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            merged[str(ms)] = merged.get(str(ms), 0) + count
    return merged


def endpoint_stats(entries: list[dict], seconds: float) -> dict:
    """Requests, throughput, failures and p50/p95/p99 of one endpoint over one or more runs."""
    times = merge_times(entries)
    requests = sum(e["num_requests"] for e in entries)
    return {"requests": requests, "failures": sum(e["num_failures"] for e in entries),
            "rps": round(requests / seconds, 1) if seconds else 0.0,
            **{f"p{q}_ms": histogram_percentile(times, q) for q in (50, 95, 99)}}


def run_duration(stats: list[dict]) -> float:
    """Seconds between the first request and the last answer of a Locust run."""
    starts = [e["start_time"] for e in stats if e["num_requests"]]
    ends = [e["last_request_timestamp"] for e in stats if e["num_requests"]]
    return max(ends) - min(starts) if starts else 0.0


# --- per-hop latency ----------------------------------------------------------------------------------------------


@contextmanager
def on_cpu(cpu: int) -> Iterator[None]:
    """Pin the calling thread to one CPU for a while (where the system can)."""
    if not hasattr(os, "sched_getaffinity"):
        yield
        return
    previous = os.sched_getaffinity(0)
    pin_self([cpu])
    try:
        yield
    finally:
        pin_self(previous)


def route_times(url: str) -> dict[tuple[str, str, str], list[float]]:
    """Count and total seconds from a process's /metrics: requests it answered by (service, method, route), and
    calls it made to other services by ("calls", method, dependency), as the caller waited for them."""
    found: dict[tuple[str, str, str], list[float]] = {}
    for name, labels, value in scrape(url):
        if name.startswith("twintag_http_client_request_duration_seconds"):
            key = ("calls", labels["method"], labels["dependency"])
        elif name.startswith("twintag_http_request_duration_seconds") and labels.get("route") not in QUIET_ROUTES:
            key = (labels["service"], labels["method"], labels["route"])
        else:
            continue
        if name.endswith("_count"):
            found.setdefault(key, [0.0, 0.0])[0] += value
        elif name.endswith("_sum"):
            found.setdefault(key, [0.0, 0.0])[1] += value
    return found


def all_route_times(stack: Stack) -> dict[tuple[str, str, str], list[float]]:
    """route_times of every process of a stack."""
    merged: dict[tuple[str, str, str], list[float]] = {}
    for name in stack.specs:
        merged.update(route_times(stack.url_of(name)))
    return merged


def per_hop(stack: Stack, headers: dict, image_id: str, *, requests: int, cpu: int) -> dict:
    """Sequential GETs of one image by one client: client-side latency and each process's own handler time."""
    url = f"{stack.base_url}/api/v1/images/{image_id}"
    with on_cpu(cpu), httpx.Client(timeout=5.0) as client:
        for _ in range(HOP_WARM_UP):
            client.get(url, headers=headers).raise_for_status()
        before, cpu_before = all_route_times(stack), cpu_by_process(stack)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            timings.append(1000 * (time.perf_counter() - started))
        cpu_after, after = cpu_by_process(stack), all_route_times(stack)
    cpu = {name: round(1000 * (cpu_after[name] - cpu_before[name]) / requests, 2) for name in cpu_after}
    routes = {}
    for key, (count, total) in after.items():
        old_count, old_total = before.get(key, [0.0, 0.0])
        if count > old_count:
            routes[" ".join(key)] = {"calls_per_request": round((count - old_count) / requests, 2),
                                     "mean_ms": round(1000 * (total - old_total) / (count - old_count), 3)}
    return summarize_hop(stack.variant, timings, routes, cpu)


def summarize_hop(variant: str, timings: list[float], routes: dict, cpu: dict[str, float]) -> dict:
    """Client p50/p95 and, from /metrics, the entry process's time and the time spent inside other services."""
    entry = ENTRY[variant]
    entry_key = f"{entry} GET {PUBLIC_ROUTE}"
    calls = {k: v for k, v in routes.items() if k.startswith("calls ")}
    downstream = {k: v for k, v in routes.items() if not k.startswith((f"{entry} ", "calls "))}
    return {"requests": len(timings), "client_p50_ms": round(percentile(timings, 50), 3),
            "client_p95_ms": round(percentile(timings, 95), 3), "client_mean_ms": round(statistics.fmean(timings), 3),
            "client_min_ms": round(min(timings), 3), "cpu_ms_per_request": cpu,
            "entry_mean_ms": routes.get(entry_key, {}).get("mean_ms"),
            "hops": round(sum(v["calls_per_request"] for v in downstream.values()), 2),
            "downstream_ms_per_request": round(sum(v["calls_per_request"] * v["mean_ms"]
                                                   for v in downstream.values()), 3),
            "waited_ms_per_request": round(sum(v["calls_per_request"] * v["mean_ms"] for v in calls.values()), 3),
            "routes": routes}


def hop_overhead(hops: dict[str, list[dict]]) -> dict:
    """Added latency per gateway -> service hop, two ways, from the median of the runs."""
    mono = statistics.median(h["client_p50_ms"] for h in hops["monolith"])
    gateway = statistics.median(h["client_p50_ms"] for h in hops["microservices"])
    count = statistics.median(h["hops"] for h in hops["microservices"]) or 1
    entry = statistics.median(h["entry_mean_ms"] or 0 for h in hops["microservices"])
    floor = {v: statistics.median(h["client_min_ms"] for h in hops[v]) for v in VARIANTS}
    cpu = {v: statistics.median(sum(h["cpu_ms_per_request"].values()) for h in hops[v]) for v in VARIANTS}
    inside = statistics.median(h["downstream_ms_per_request"] for h in hops["microservices"])
    waited = statistics.median(h.get("waited_ms_per_request", 0.0) for h in hops["microservices"])
    return {"monolith_client_p50_ms": round(mono, 3), "gateway_client_p50_ms": round(gateway, 3),
            "hops_per_request": count,
            "added_p50_per_hop_ms": round((gateway - mono) / count, 3),
            "gateway_mean_ms": round(entry, 3), "services_mean_ms_sum": round(inside, 3),
            "gateway_minus_services_per_hop_ms": round((entry - inside) / count, 3),
            "gateway_waited_per_hop_ms": round(waited / count, 3),
            "outside_handlers_per_hop_ms": round((waited - inside) / count, 3),
            "monolith_client_min_ms": floor["monolith"], "gateway_client_min_ms": floor["microservices"],
            "added_min_per_hop_ms": round((floor["microservices"] - floor["monolith"]) / count, 3),
            "monolith_cpu_ms_per_request": round(cpu["monolith"], 2),
            "microservices_cpu_ms_per_request": round(cpu["microservices"], 2),
            "added_cpu_per_hop_ms": round((cpu["microservices"] - cpu["monolith"]) / count, 2)}


# --- one run of one variant ---------------------------------------------------------------------------------------


def seed(stack: Stack, workdir: Path, images: list[bytes]) -> tuple[dict, list[str], Path]:
    """A user with a few tagged images, written as a seed file for locust_reads.py."""
    with api_client(8) as client:
        headers = sign_up(client, stack.base_url)
        ids = [upload(client, stack.base_url, headers, image) for image in images[:SEED_IMAGES]]
        for image_id in ids:
            if wait_for_tags(client, stack.base_url, headers, image_id, timeout=60.0) != "done":
                raise SystemExit(f"{stack.variant}: a seed image was not tagged\n{stack.logs()}")
    path = workdir / f"seed-{stack.variant}.json"
    path.write_text(json.dumps({"token": headers["Authorization"].removeprefix("Bearer "), "image_ids": ids}))
    return headers, ids, path


def load_run(stack: Stack, scenario: str, args: argparse.Namespace, workdir: Path, env: dict) -> dict:
    """One Locust scenario against a running stack, with the stack's CPU time and memory around it."""
    users = args.reads_users if scenario == "reads" else args.mixed_users
    seconds = args.reads_seconds if scenario == "reads" else args.mixed_seconds
    cpu_before, wall_before = cpu_seconds(stack), time.monotonic()
    stats = run_locust(scenario, stack.base_url, users=users, seconds=seconds, cpu=args.locust_cpu,
                       workdir=workdir, env=env)
    cpu_used, wall = cpu_seconds(stack) - cpu_before, time.monotonic() - wall_before
    duration = run_duration(stats) or seconds
    requests = sum(e["num_requests"] for e in stats if e["method"] != "FLOW")
    return {"users": users, "seconds": round(duration, 2), "stats": stats,
            "throughput_rps": round(requests / duration, 1), "requests": requests,
            "failures": sum(e["num_failures"] for e in stats),
            "cpu_percent_of_core": round(100 * cpu_used / wall, 1),
            "cpu_ms_per_request": round(1000 * cpu_used / requests, 2) if requests else None,
            "requests_per_cpu_second": round(requests / cpu_used, 1) if cpu_used > 0 else None,
            "rss_after_mib": memory(stack)["total"], "load_average": load_average()}


def run_variant(variant: str, run: int, args: argparse.Namespace, workdir: Path, images: list[bytes],
                say: Say) -> dict:
    """Start one variant pinned to the server CPU, measure it every way, stop it."""
    say(f"run {run + 1}, {variant}: starting on CPU {args.server_cpu} (load {load_average()})")
    env = {} if args.gateway_tag_cache is None else {"TWINTAG_GATEWAY_TAG_CACHE": str(args.gateway_tag_cache)}
    stack, startup = start_stack(variant, workdir / f"{variant}-{run}", args.model_cache, cpus=[args.server_cpu],
                                 env=env)
    try:
        headers, ids, seed_file = seed(stack, workdir, images)
        idle = memory(stack)["total"]
        idle_cpu = idle_cpu_percent(stack, args.idle_seconds)
        hop = per_hop(stack, headers, ids[0], requests=args.hop_requests, cpu=args.locust_cpu)
        say(f"run {run + 1}, {variant}: 1-user GET p50 {hop['client_p50_ms']:.2f} ms; reads for "
            f"{args.reads_seconds:.0f} s")
        reads = load_run(stack, "reads", args, workdir, {SEED_ENV: str(seed_file)})
        say(f"run {run + 1}, {variant}: reads {reads['throughput_rps']} req/s; mixed for {args.mixed_seconds:.0f} s")
        mixed = load_run(stack, "mixed", args, workdir, {})
    finally:
        stack.stop()
    return {"variant": variant, "run": run, "startup_pinned_s": round(startup, 2), "idle_memory_mib": idle,
            "idle_cpu_percent": idle_cpu, "hop": hop, "reads": reads, "mixed": mixed}


# --- summary, report, charts --------------------------------------------------------------------------------------


def summarize(runs: list[dict]) -> dict:
    """Per variant: mean throughput over runs, merged percentiles per endpoint, CPU and memory."""
    summary = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        summary[variant] = {"runs": len(mine), "idle_rss_mib": _mean(r["idle_memory_mib"]["rss"] for r in mine),
                            "idle_pss_mib": _mean(r["idle_memory_mib"]["pss"] for r in mine),
                            "idle_cpu_percent": _mean(r["idle_cpu_percent"] for r in mine),
                            **{s: scenario_summary([r[s] for r in mine]) for s in ("reads", "mixed")}}
    for scenario in ("reads", "mixed"):
        mono, micro = (summary[v][scenario]["throughput_rps"] for v in VARIANTS)
        summary[f"{scenario}_throughput_ratio"] = round(micro / mono, 2) if mono else None
        mono, micro = (summary[v][scenario]["requests_per_cpu_second"] for v in VARIANTS)
        summary[f"{scenario}_per_cpu_second_ratio"] = round(micro / mono, 2) if mono else None
    summary["hop"] = hop_overhead({v: [r["hop"] for r in runs if r["variant"] == v] for v in VARIANTS})
    return summary


def scenario_summary(results: list[dict]) -> dict:
    """Means over the runs of one scenario, and percentiles per endpoint from the merged histograms."""
    seconds = sum(r["seconds"] for r in results)
    names = sorted({(e["method"], e["name"]) for r in results for e in r["stats"]}, key=lambda k: k[1])
    endpoints = {name: endpoint_stats([e for r in results for e in r["stats"] if (e["method"], e["name"]) == (
        method, name)], seconds) for method, name in names}
    return {"throughput_rps": _mean(r["throughput_rps"] for r in results),
            "throughput_by_run": [r["throughput_rps"] for r in results],
            "failures": sum(r["failures"] for r in results), "requests": sum(r["requests"] for r in results),
            "cpu_percent_of_core": _mean(r["cpu_percent_of_core"] for r in results),
            "cpu_ms_per_request": _mean(r["cpu_ms_per_request"] or 0 for r in results),
            "requests_per_cpu_second": _mean(r["requests_per_cpu_second"] or 0 for r in results),
            "rss_after_mib": _mean(r["rss_after_mib"]["rss"] for r in results), "endpoints": endpoints}


def _mean(values) -> float:
    values = list(values)
    return round(statistics.fmean(values), 2) if values else 0.0


def ratio(micro: float, mono: float) -> str:
    return f"{micro / mono:.2f}" if mono else "-"


def markdown(report: dict) -> str:
    """The comparison as a Markdown document."""
    s, a = report["summary"], report["settings"]
    mono, micro = s["monolith"], s["microservices"]
    lines = [
        "# Monolith vs microservices: same load, same CPU budget", "",
        f"Generated by `{report['command']}` at {report['finished']} on {report['machine']['cpus']} CPUs "
        f"({report['machine']['processor']}); load average {report['machine']['load_average']} at start, "
        f"{report['load_average_end']} at end. Each variant pinned to CPU {a['server_cpu']}, Locust pinned to CPU "
        f"{a['locust_cpu']}; {a['runs']} run(s) per variant, alternating the order. Gateway tag cache: "
        f"{_tag_cache(a)}.", "",
        "## Totals per variant", "",
        "| figure | monolith | microservices | microservices / monolith |", "|---|---:|---:|---:|"]
    for label, key, fmt in (("reads: throughput (req/s)", ("reads", "throughput_rps"), "{:.1f}"),
                            ("reads: CPU used (% of one core)", ("reads", "cpu_percent_of_core"), "{:.0f}"),
                            ("reads: CPU per request (ms)", ("reads", "cpu_ms_per_request"), "{:.2f}"),
                            ("reads: requests per CPU-second", ("reads", "requests_per_cpu_second"), "{:.0f}"),
                            ("reads: failures", ("reads", "failures"), "{:.0f}"),
                            ("mixed: throughput (req/s)", ("mixed", "throughput_rps"), "{:.1f}"),
                            ("mixed: CPU used (% of one core)", ("mixed", "cpu_percent_of_core"), "{:.0f}"),
                            ("mixed: CPU per request (ms)", ("mixed", "cpu_ms_per_request"), "{:.2f}"),
                            ("mixed: failures", ("mixed", "failures"), "{:.0f}"),
                            ("mixed: RSS after the run (MiB)", ("mixed", "rss_after_mib"), "{:.0f}"),
                            ("idle RSS, sum of processes (MiB)", ("idle_rss_mib",), "{:.0f}"),
                            ("idle PSS (MiB)", ("idle_pss_mib",), "{:.0f}"),
                            ("idle CPU (% of one core)", ("idle_cpu_percent",), "{:.1f}")):
        x, y = (_dig(v, key) for v in (mono, micro))
        lines.append(f"| {label} | {fmt.format(x)} | {fmt.format(y)} | {ratio(y, x)} |")
    lines += ["", "Throughput by run (req/s): reads " + _runs(mono, micro, "reads") + "; mixed "
              + _runs(mono, micro, "mixed") + ".", ""]
    for scenario in ("reads", "mixed"):
        lines += endpoint_table(scenario, mono[scenario]["endpoints"], micro[scenario]["endpoints"])
    h = s["hop"]
    lines += ["## Per-hop latency (authenticated GET /api/v1/images/{id}, 1 client, sequential)", "",
              "| figure | ms |", "|---|---:|",
              f"| monolith, client p50 | {h['monolith_client_p50_ms']:.2f} |",
              f"| gateway, client p50 | {h['gateway_client_p50_ms']:.2f} |",
              f"| service calls per request (from /metrics) | {h['hops_per_request']:.0f} |",
              f"| **added p50 per hop** = (gateway − monolith) / calls | **{h['added_p50_per_hop_ms']:.2f}** |",
              f"| gateway handler mean (its /metrics) | {h['gateway_mean_ms']:.2f} |",
              f"| sum of service handler means on the path | {h['services_mean_ms_sum']:.2f} |",
              f"| (gateway − services) / calls | {h['gateway_minus_services_per_hop_ms']:.2f} |",
              f"| gateway's wait per call (its client-side histogram) | {h.get('gateway_waited_per_hop_ms', 0):.2f} |",
              f"| of which outside the service's handler (httpx, loopback, gunicorn) | "
              f"{h.get('outside_handlers_per_hop_ms', 0):.2f} |",
              f"| fastest request: monolith / gateway | {h['monolith_client_min_ms']:.2f} / "
              f"{h['gateway_client_min_ms']:.2f} |",
              f"| added per hop, from the fastest requests (a floor without contention) | "
              f"{h['added_min_per_hop_ms']:.2f} |",
              f"| CPU per request, whole stack: monolith / microservices | {h['monolith_cpu_ms_per_request']:.2f} / "
              f"{h['microservices_cpu_ms_per_request']:.2f} |",
              f"| added CPU per hop | {h['added_cpu_per_hop_ms']:.2f} |", "",
              "Routes seen during the per-hop runs (calls per request, mean ms from each process's histogram): "
              + "; ".join(f"`{k}` {v['calls_per_request']}× {v['mean_ms']:.2f} ms"
                          for r in report["runs"] if r["variant"] == "microservices" and r["run"] == 0
                          for k, v in r["hop"]["routes"].items()) + ".", ""]
    if report.get("charts"):
        lines += ["## Charts", ""] + [f"![{Path(c).stem}]({Path(c).name})" for c in report["charts"]] + [""]
    return "\n".join(lines)


def endpoint_table(scenario: str, mono: dict, micro: dict) -> list[str]:
    """Per endpoint: throughput, p50/p95/p99 and failures of both variants."""
    lines = [f"## {scenario} scenario, per endpoint (percentiles in ms, merged over runs)", "",
             "| endpoint | mono req/s | micro req/s | mono p50 / p95 / p99 | micro p50 / p95 / p99 | failures m / µ |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in sorted(set(mono) | set(micro)):
        x, y = mono.get(name), micro.get(name)
        lines.append(f"| {name} | {_cell(x, 'rps')} | {_cell(y, 'rps')} | {_pcts(x)} | {_pcts(y)} | "
                     f"{_cell(x, 'failures')} / {_cell(y, 'failures')} |")
    return lines + [""]


def _tag_cache(settings: dict) -> str:
    entries = settings.get("gateway_tag_cache")
    if entries == 0:
        return "off (`--gateway-tag-cache 0`: every read asks the results service)"
    return f"on, {entries or 'the default number of'} entries (a finished image's tags are fetched once)"


def _dig(data: dict, keys: tuple) -> float:
    for key in keys:
        data = data[key]
    return data


def _runs(mono: dict, micro: dict, scenario: str) -> str:
    return (f"monolith {mono[scenario]['throughput_by_run']}, microservices {micro[scenario]['throughput_by_run']}")


def _cell(stats: dict | None, key: str) -> str:
    return "-" if stats is None else f"{stats[key]:g}"


def _pcts(stats: dict | None) -> str:
    return "-" if stats is None else f"{stats['p50_ms']:.0f} / {stats['p95_ms']:.0f} / {stats['p99_ms']:.0f}"


def charts(report: dict, out_dir: Path) -> list[str]:
    """PNG charts of throughput, latency and resources; none (with a note) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("compare: matplotlib is not installed; no charts (pip install matplotlib)")
        return []
    s, paths = report["summary"], []
    colours = {"monolith": "#4c72b0", "microservices": "#dd8452"}
    panels = {
        "throughput": [("reads req/s", lambda v: s[v]["reads"]["throughput_rps"]),
                       ("reads req per CPU-s", lambda v: s[v]["reads"]["requests_per_cpu_second"]),
                       ("mixed req/s", lambda v: s[v]["mixed"]["throughput_rps"])],
        "latency": [("1-user GET p50 (ms)", lambda v: s["hop"]["gateway_client_p50_ms" if v == "microservices"
                                                           else "monolith_client_p50_ms"]),
                    *[(f"reads {q} (ms)", lambda v, q=q: s[v]["reads"]["endpoints"][READ_NAME][f"{q}_ms"])
                      for q in ("p50", "p95", "p99")]]
        + [(f"upload→tags {q} (ms)", lambda v, q=q: s[v]["mixed"]["endpoints"].get("upload -> tags", {}).get(
            f"{q}_ms", 0)) for q in ("p50", "p95")],
        "resources": [("CPU ms/request reads", lambda v: s[v]["reads"]["cpu_ms_per_request"]),
                      ("CPU ms/request mixed", lambda v: s[v]["mixed"]["cpu_ms_per_request"]),
                      ("idle RSS (MiB)", lambda v: s[v]["idle_rss_mib"]),
                      ("idle PSS (MiB)", lambda v: s[v]["idle_pss_mib"])],
    }
    for name, bars in panels.items():
        figure, axes = plt.subplots(1, len(bars), figsize=(2.4 * len(bars) + 1, 3.6), squeeze=False)
        for ax, (label, value) in zip(axes[0], bars, strict=True):
            ax.bar(range(len(VARIANTS)), [value(v) for v in VARIANTS], color=[colours[v] for v in VARIANTS])
            ax.set_xticks(range(len(VARIANTS)), ["mono", "micro"])
            ax.set_title(label, fontsize=9)
        figure.suptitle(f"{name}: monolith vs microservices, server pinned to one CPU", fontsize=10)
        figure.tight_layout()
        path = out_dir / f"comparison-{name}.png"
        figure.savefig(path, dpi=100)
        plt.close(figure)
        paths.append(str(path))
    return paths


def print_table(summary: dict) -> None:
    """The headline figures on stdout."""
    mono, micro = summary["monolith"], summary["microservices"]
    hop = summary["hop"]
    print("| figure | monolith | microservices | ratio µ/m |\n|---|---:|---:|---:|")
    for label, x, y in (("reads throughput (req/s)", mono["reads"]["throughput_rps"], micro["reads"]["throughput_rps"]),
                        ("reads p50 (ms)", mono["reads"]["endpoints"][READ_NAME]["p50_ms"],
                         micro["reads"]["endpoints"][READ_NAME]["p50_ms"]),
                        ("reads p99 (ms)", mono["reads"]["endpoints"][READ_NAME]["p99_ms"],
                         micro["reads"]["endpoints"][READ_NAME]["p99_ms"]),
                        ("reads requests per CPU-second", mono["reads"]["requests_per_cpu_second"],
                         micro["reads"]["requests_per_cpu_second"]),
                        ("mixed throughput (req/s)", mono["mixed"]["throughput_rps"], micro["mixed"]["throughput_rps"]),
                        ("mixed CPU ms/request", mono["mixed"]["cpu_ms_per_request"],
                         micro["mixed"]["cpu_ms_per_request"]),
                        ("1-user GET p50 (ms)", hop["monolith_client_p50_ms"], hop["gateway_client_p50_ms"]),
                        ("idle RSS (MiB)", mono["idle_rss_mib"], micro["idle_rss_mib"])):
        print(f"| {label} | {x:.2f} | {y:.2f} | {ratio(y, x)} |")
    print(f"added p50 per gateway -> service hop: {hop['added_p50_per_hop_ms']:.2f} ms "
          f"({hop['hops_per_request']:.0f} calls per request); gateway − services per hop (/metrics means): "
          f"{hop['gateway_minus_services_per_hop_ms']:.2f} ms; from the fastest requests: "
          f"{hop['added_min_per_hop_ms']:.2f} ms; added CPU per hop: {hop['added_cpu_per_hop_ms']:.2f} ms; "
          f"gateway's wait per call {hop.get('gateway_waited_per_hop_ms', 0):.2f} ms, of which outside the service's "
          f"handler {hop.get('outside_handlers_per_hop_ms', 0):.2f} ms")


# --- command line -------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Options; the defaults take about 6 minutes on 2 CPUs (--quick: about 40 s)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="runs per variant (the order alternates)")
    parser.add_argument("--reads-users", type=int, default=8, help="Locust users in the read-heavy scenario")
    parser.add_argument("--reads-seconds", type=float, default=20.0, help="length of each read-heavy Locust run")
    parser.add_argument("--mixed-users", type=int, default=10, help="Locust users in the mixed scenario")
    parser.add_argument("--mixed-seconds", type=float, default=30.0, help="length of each mixed Locust run")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="how long idle CPU is measured per run")
    parser.add_argument("--hop-requests", type=int, default=300, help="sequential GETs for the per-hop latency")
    parser.add_argument("--server-cpu", type=int, default=0, help="the CPU each variant is pinned to")
    parser.add_argument("--locust-cpu", type=int, default=1, help="the CPU Locust (and the per-hop client) run on")
    parser.add_argument("--gateway-tag-cache", type=int, default=None,
                        help="finished images whose tags the gateway remembers (0: ask results on every read; "
                             "default: the product's default)")
    parser.add_argument("--model-cache", type=Path, default=None, help="reuse a built model (default: a temp dir)")
    parser.add_argument("--out-dir", type=Path, default=REPORTS, help="where the reports and charts are written")
    parser.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 run, 4 s per scenario, 50 hop GETs")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: rewrite comparison.md and the charts from OUT_DIR/comparison.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.reads_seconds, args.mixed_seconds, args.hop_requests, args.idle_seconds = 1, 4.0, 4.0, 50, 1.0
    if max(args.server_cpu, args.locust_cpu) >= (os.cpu_count() or 1):
        args.locust_cpu = args.server_cpu = 0  # one CPU: everything shares it (said in the report)
    return args


def main(argv: list[str] | None = None) -> None:
    """Run every variant `runs` times, alternating, then write the Markdown, JSON and chart reports."""
    args = parse_args(argv)
    if args.render_only:
        write_reports(json.loads((args.out_dir / "comparison.json").read_text()), args)
        return
    say = lambda line: print(f"compare: {line}", flush=True)  # noqa: E731
    images, runs = sample_images(), []
    started_at = machine()
    with scratch_dir("compare", args) as workdir:
        for run in range(args.runs):
            order = VARIANTS if run % 2 == 0 else tuple(reversed(VARIANTS))
            runs += [run_variant(variant, run, args, workdir, images, say) for variant in order]
    write_reports({"command": " ".join(["python loadtests/compare.py", *(sys.argv[1:] if argv is None else argv)]),
                   "machine": started_at, "load_average_end": load_average(),
                   "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                   "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "runs": runs}, args)


def write_reports(report: dict, args: argparse.Namespace) -> None:
    """Summarize the runs, then write comparison.json, comparison.md and the charts, and print the table."""
    report["summary"] = summarize(report["runs"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    report["charts"] = [] if args.no_charts else charts(report, args.out_dir)
    (args.out_dir / "comparison.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "comparison.md").write_text(markdown(report))
    print(f"\nload average {report['machine']['load_average']} at start, {report['load_average_end']} at end")
    print_table(report["summary"])
    print(f"wrote {args.out_dir / 'comparison.md'}, comparison.json and {len(report['charts'])} chart(s)")


if __name__ == "__main__":
    main()
