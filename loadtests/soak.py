"""A soak at half the capacity (RELIABILITY.md row 14): nothing lost, few errors, memory flat, the queue drains.

Usage: python loadtests/soak.py [--variant monolith] [--minutes 30] [--uploads-per-s 1] [--sample-seconds 10]
The variant runs pinned to --server-cpu, the load on --client-cpu. After seeding a user with a tagged image and
measuring the read capacity C (a closed loop as in overload.py), it sends for --minutes, open loop:
authenticated GET /api/v1/images/{id} at C/2, and uploads at --uploads-per-s, each with its own Idempotency-Key.
Every --sample-seconds it records the RSS of every process. At the end it waits for every accepted upload to be
recognised, then prints and writes to reports/soak.json: accepted uploads lost (not done), the 5xx share of all
answers, the RSS growth from the first sample after the first minute to the last, and how long the queue took to
drain once the load stopped. Row 14's bar: 0 lost, 5xx < 0.1 %, growth < 10 %, the queue drains.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from loadtests.bench_pipeline import (  # noqa: E402
    api_client,
    machine,
    memory,
    pin_self,
    print_rows,
    sample_images,
    scratch_dir,
    start_stack,
    upload,
    wait_for_tags,
    write_report,
)
from loadtests.compare import seed  # noqa: E402
from loadtests.overload import SERVER_THREADS, Target, closed_loop, load_tool_parser, open_loop  # noqa: E402

WARM_UP_SECONDS = 60.0  # memory is compared from the first sample after this, once caches and pools are full
DRAIN_TIMEOUT = 300.0


def uploads_open_loop(base_url: str, headers: dict, images: list[bytes], rate: float, seconds: float) -> dict:
    """Upload at a fixed rate; return the accepted ids and the answers by status."""
    accepted: list[str] = []
    answers: dict[str, int] = {}
    lock = threading.Lock()
    with api_client(16) as client:

        def one(number: int) -> None:
            try:
                image_id, status = upload(client, base_url, {**headers, "Idempotency-Key": f"soak-{number}"},
                                          images[number % len(images)]), "202"
            except Exception as exc:  # noqa: BLE001 - every outcome is counted, none stops the soak
                image_id, status = None, str(exc).split(":")[0].removeprefix("upload answered ") or "error"
            with lock:
                answers[status] = answers.get(status, 0) + 1
                if image_id:
                    accepted.append(image_id)

        start, count = time.monotonic(), int(rate * seconds)
        with ThreadPoolExecutor(16) as pool:
            for number in range(count):
                delay = start + number / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, number)
    return {"sent": count, "answers": dict(sorted(answers.items())), "accepted": accepted}


def sample_memory(stack, every: float, stop: threading.Event, samples: list[dict]) -> None:
    """RSS of the whole stack (MiB) every `every` seconds until stopped."""
    started = time.monotonic()
    while not stop.wait(every):
        samples.append({"t": round(time.monotonic() - started, 1), "rss_mib": memory(stack)["total"]["rss"]})


def drain(base_url: str, headers: dict, image_ids: list[str]) -> dict:
    """Wait until every accepted upload is recognised; count the outcomes and the time it took."""
    started, outcomes = time.monotonic(), {}
    with api_client(8) as client:
        for image_id in image_ids:
            left = max(1.0, DRAIN_TIMEOUT - (time.monotonic() - started))
            status = wait_for_tags(client, base_url, headers, image_id, poll=0.2, timeout=left)
            outcomes[status] = outcomes.get(status, 0) + 1
    return {"outcomes": outcomes, "seconds": round(time.monotonic() - started, 1)}


def soak(args: argparse.Namespace, workdir: Path) -> dict:
    stack, _ = start_stack(args.variant, workdir / args.variant, args.model_cache, cpus=[args.server_cpu])
    try:
        images = sample_images()
        headers, ids, _ = seed(stack, workdir, images)
        pin_self([args.client_cpu])
        target = Target(stack.base_url, headers, ids[0])
        capacity = closed_loop(target, SERVER_THREADS[args.variant], 5.0)
        seconds = 60 * args.minutes
        samples: list[dict] = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(stack, args.sample_seconds, stop, samples))
        sampler.start()
        with ThreadPoolExecutor(1) as background:
            uploads = background.submit(uploads_open_loop, stack.base_url, headers, images, args.uploads_per_s,
                                        seconds)
            reads = open_loop(target, capacity / 2, seconds)
            uploads = uploads.result()
        stop.set()
        sampler.join()
        drained = drain(stack.base_url, headers, uploads["accepted"])
        after = memory(stack)["total"]["rss"]
    finally:
        stack.stop()
    return summarize(capacity, reads, uploads, drained, samples, after)


def summarize(capacity: float, reads: dict, uploads: dict, drained: dict, samples: list[dict], after: float) -> dict:
    """The row-14 figures."""
    answers = {**{f"GET {k}": v for k, v in reads["answers"].items()},
               **{f"upload {k}": v for k, v in uploads["answers"].items()}}
    total = sum(answers.values())
    errors = sum(v for k, v in answers.items() if k.split()[-1].startswith("5") or k.split()[-1] in ("0", "error"))
    settled = [s for s in samples if s["t"] >= WARM_UP_SECONDS] or samples
    first, last = (settled[0]["rss_mib"], settled[-1]["rss_mib"]) if settled else (after, after)
    accepted = len(uploads["accepted"])
    return {"capacity_rps": round(capacity, 1), "reads": reads,
            "uploads": {"sent": uploads["sent"], "answers": uploads["answers"], "accepted": accepted},
            "answers": answers, "errors_percent": round(100 * errors / total, 3) if total else None,
            "lost": accepted - drained["outcomes"].get("done", 0) - drained["outcomes"].get("failed", 0),
            "failed": drained["outcomes"].get("failed", 0), "drain_seconds": drained["seconds"],
            "drained": drained["outcomes"].get("done", 0) + drained["outcomes"].get("failed", 0) == accepted,
            "rss_first_mib": first, "rss_last_mib": last, "rss_after_drain_mib": after,
            "rss_growth_percent": round(100 * (last - first) / first, 1) if first else None, "samples": samples}


def print_table(result: dict) -> None:
    reads = result["reads"]
    lines = [("read capacity C (req/s); reads sent at C/2", f"{result['capacity_rps']:.0f}; {reads['sent']}"),
             ("GET answers by status", json.dumps(reads["answers"])),
             ("GET p50 / p99 of the 200s (ms)", f"{reads['p50_ms'].get('200', float('nan')):.1f} / "
                                                 f"{reads['p99_ms'].get('200', float('nan')):.1f}"),
             ("uploads sent / accepted", f"{result['uploads']['sent']} / {result['uploads']['accepted']}"),
             ("upload answers by status", json.dumps(result["uploads"]["answers"])),
             ("accepted uploads lost (bar: 0)", str(result["lost"])),
             ("recognition failed (reason recorded)", str(result["failed"])),
             ("5xx or no answer, % of all (bar: < 0.1)", f"{result['errors_percent']}"),
             ("RSS after the first minute -> at the end (MiB)",
              f"{result['rss_first_mib']} -> {result['rss_last_mib']}"),
             ("RSS growth % (bar: < 10)", f"{result['rss_growth_percent']}"),
             ("queue drained after the load stopped (s)", f"{result['drained']} ({result['drain_seconds']})")]
    print_rows(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_tool_parser(__doc__, "soak.json")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--uploads-per-s", type=float, default=1.0, help="uploads per second during the soak")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="how often memory is sampled")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = machine()
    with scratch_dir("soak", args) as workdir:
        result = soak(args, workdir)
    print_table(result)
    write_report(args.out, "soak.py", argv, started, {"variant": args.variant, **result})


if __name__ == "__main__":
    main()
