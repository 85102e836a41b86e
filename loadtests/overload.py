"""Twice the capacity (RELIABILITY.md row 13): load shedding on, as shipped, and off, side by side.

Usage: python loadtests/overload.py [--variant monolith] [--seconds 10] [--max-queued N] [--server-cpu 0]
For each setting (TWINTAG_MAX_QUEUED_REQUESTS as shipped, then 0: every request waits for a thread), the variant
is started pinned to one CPU and seeded with a user and a tagged image. Then, with authenticated
GET /api/v1/images/{id}:
1. capacity: a closed loop of as many clients as the server has threads, for --seconds: C requests/s;
2. baseline: an open loop at C/2 for --seconds: the p99 of the answers;
3. overload: an open loop at 2C for --seconds: answers by status, p99 of the 200s, p50 of the 503s.
Latency counts from the moment a request was planned, so a client that falls behind is not hidden. Prints a
table and writes reports/overload.json.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from loadtests.bench_pipeline import (  # noqa: E402
    REPORTS,
    HelpFormatter,
    machine,
    percentile,
    pin_self,
    sample_images,
    scratch_dir,
    start_stack,
    write_report,
)
from loadtests.compare import seed  # noqa: E402

SENDERS = 256  # client threads of the open loop: enough for every request of a 2C burst to be in flight
OFF = {"shedding off (TWINTAG_MAX_QUEUED_REQUESTS=0)": {"TWINTAG_MAX_QUEUED_REQUESTS": "0"}}
SERVER_THREADS = {"monolith": 2 * 8, "microservices": 8}  # web workers x threads as `twintag up` runs them


class Target:
    """One authenticated GET, over a keep-alive connection per client thread."""

    def __init__(self, base_url: str, headers: dict, image_id: str):
        self.host, self.port = base_url.removeprefix("http://").split(":")
        self.path, self.headers = f"/api/v1/images/{image_id}", headers
        self.local = threading.local()

    def get(self) -> int:
        """The status of one GET; 0 if no answer came (reset, timeout)."""
        reused = getattr(self.local, "connection", None) is not None
        status = self._get()
        if status == 0 and reused:
            # The server may have closed a kept-alive connection that sat idle (gunicorn's keepalive is 5 s):
            # like browsers and httpx, try a GET once more on a new connection before calling it unanswered.
            status = self._get()
        return status

    def _get(self) -> int:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
        try:
            connection.request("GET", self.path, headers=self.headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            self.local.connection = None
            return 0


def closed_loop(target: Target, clients: int, seconds: float) -> float:
    """Requests per second with `clients` sending back to back."""
    done, stop = [0] * clients, time.monotonic() + seconds

    def client(number: int) -> None:
        while time.monotonic() < stop:
            target.get()
            done[number] += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(done) / seconds


def open_loop(target: Target, rate: float, seconds: float) -> dict:
    """Send at a fixed rate whatever the answers; latency from each request's planned time."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(planned: float) -> None:
        status = target.get()
        with lock:
            results.append((status, time.monotonic() - planned))

    start, count = time.monotonic() + 0.2, int(rate * seconds)
    with ThreadPoolExecutor(SENDERS) as pool:
        for number in range(count):
            planned = start + number / rate
            delay = planned - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, planned)
    by_status: dict[str, list[float]] = {}
    for status, latency in results:
        by_status.setdefault(str(status), []).append(1000 * latency)
    return {"rate": round(rate, 1), "sent": count,
            "answers": {status: len(values) for status, values in sorted(by_status.items())},
            "p50_ms": {status: round(percentile(values, 50), 1) for status, values in sorted(by_status.items())},
            "p99_ms": {status: round(percentile(values, 99), 1) for status, values in sorted(by_status.items())}}


def measure(variant: str, env: dict, args: argparse.Namespace, workdir: Path) -> dict:
    """Start the variant with these settings, seed it, and run the three phases."""
    stack, _ = start_stack(variant, workdir, args.model_cache, cpus=[args.server_cpu], env=env)
    try:
        headers, ids, _ = seed(stack, workdir, sample_images())
        pin_self([args.client_cpu])
        target = Target(stack.base_url, headers, ids[0])
        capacity = closed_loop(target, SERVER_THREADS[variant], args.seconds)
        baseline = open_loop(target, capacity / 2, args.seconds)
        overload = open_loop(target, 2 * capacity, args.seconds)
    finally:
        stack.stop()
    return {"capacity_rps": round(capacity, 1), "baseline": baseline, "overload": overload}


def print_table(results: dict) -> None:
    names = list(results)
    rows = [("capacity, closed loop (req/s)", lambda r: f"{r['capacity_rps']:.0f}"),
            ("baseline at C/2: p99 (ms)", lambda r: _get(r["baseline"]["p99_ms"], "200")),
            ("overload at 2C: answers 200 / 503 / other", lambda r: _counts(r["overload"]["answers"])),
            ("overload: p99 of the 200s (ms)", lambda r: _get(r["overload"]["p99_ms"], "200")),
            ("overload: p99 of the 200s / baseline p99", lambda r: _ratio(r)),
            ("overload: p50 of the 503s (ms)", lambda r: _get(r["overload"]["p50_ms"], "503"))]
    width = max(len(label) for label, _ in rows)
    print(f"{'':<{width}}  " + "  |  ".join(names))
    for label, cell in rows:
        print(f"{label:<{width}}  " + "  |  ".join(f"{cell(results[n]):>{len(n)}}" for n in names))


def _get(values: dict, status: str) -> str:
    return f"{values[status]:.1f}" if status in values else "-"


def _counts(answers: dict) -> str:
    other = sum(count for status, count in answers.items() if status not in ("200", "503"))
    return f"{answers.get('200', 0)} / {answers.get('503', 0)} / {other}"


def _ratio(result: dict) -> str:
    accepted, baseline = result["overload"]["p99_ms"].get("200"), result["baseline"]["p99_ms"].get("200")
    return f"{accepted / baseline:.1f}x" if accepted and baseline else "-"


def load_tool_parser(doc: str, report: str) -> argparse.ArgumentParser:
    """The options every tool that loads one pinned variant shares (this one and soak.py)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=HelpFormatter)
    parser.add_argument("--variant", choices=sorted(SERVER_THREADS), default="monolith")
    parser.add_argument("--server-cpu", type=int, default=0, help="the CPU the variant is pinned to")
    parser.add_argument("--client-cpu", type=int, default=1, help="the CPU the load generator runs on")
    parser.add_argument("--model-cache", type=Path, default=None, help="where the built model is kept")
    parser.add_argument("--out", type=Path, default=REPORTS / report, help="where to write the figures")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_tool_parser(__doc__, "overload.json")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--max-queued", type=int, default=None,
                        help="TWINTAG_MAX_QUEUED_REQUESTS for the shedding run (default: as shipped, 4 x threads)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = machine()
    with scratch_dir("overload", args) as workdir:
        on = ({"shedding on (as shipped)": {}} if args.max_queued is None else
              {f"shedding on (TWINTAG_MAX_QUEUED_REQUESTS={args.max_queued})":
               {"TWINTAG_MAX_QUEUED_REQUESTS": str(args.max_queued)}})
        results = {name: measure(args.variant, env, args, workdir / f"run-{number}")
                   for number, (name, env) in enumerate({**on, **OFF}.items())}
    print_table(results)
    write_report(args.out, "overload.py", argv, started, {"variant": args.variant, "results": results})


if __name__ == "__main__":
    main()
