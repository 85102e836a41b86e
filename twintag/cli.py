"""The `twintag` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from twintag import contracts, launcher, sla
from twintag.stacks import DEFAULT_SERVICES_PORT, PER_SERVICE, microservices_stack, monolith_stack, service_ports


def say(line: str) -> None:
    """Print one status line at once (the launcher runs in the foreground)."""
    try:
        print(f"twintag: {line}", flush=True)
    except OSError:  # output closed (piped into `head`, terminal gone): keep supervising, still stop cleanly
        pass


def up(args: argparse.Namespace) -> int:
    """Start a variant (or both) on the embedded default and supervise it."""
    data_dir = Path(args.data_dir).absolute()
    variants = ["monolith", "microservices"] if args.variant == "both" else [args.variant]
    specs = []
    if "monolith" in variants:
        specs += monolith_stack(data_dir, args.monolith_port)
    if "microservices" in variants:
        specs += microservices_stack(data_dir, args.gateway_port, service_ports(args.services_port))
        for name in PER_SERVICE:
            if name in os.environ:
                say(f"{name} is for the monolith: each service keeps its own SQLite file under the data directory")
    say(f"data directory: {data_dir}")
    try:
        locks = [launcher.lock_data_dir(data_dir / variant) for variant in variants]
    except launcher.LaunchFailed as exc:
        say(f"error: {exc}")
        return 1
    try:
        return launcher.run(specs, say, health_timeout=args.health_timeout)
    finally:
        for lock in locks:
            lock.close()


def recognize(args: argparse.Namespace) -> int:
    """Print the tags of each image file."""
    from shared.recognition.factory import build_recognizer
    from shared.recognition.recognizer import RecognitionFailed

    recognizer = build_recognizer(args.backend, cache_dir=Path(args.data_dir).absolute() / "model-cache")
    status = 0
    for name in args.images:
        started = time.perf_counter()
        try:
            result = recognizer.recognize(Path(name).read_bytes())
        except (OSError, RecognitionFailed) as exc:
            print(f"{name}: error: {exc}", file=sys.stderr)
            status = 1
            continue
        tags = ", ".join(f"{t.label} {t.confidence:.2f}" for t in result.tags)
        elapsed_ms = 1000 * (time.perf_counter() - started)
        print(f"{name}: {tags}  [{result.recognizer} {result.version}, {elapsed_ms:.0f} ms]")
    return status


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    root = argparse.ArgumentParser(prog="twintag", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("up", help="start the monolith, the microservices, or both, on localhost")
    run.add_argument("variant", nargs="?", default="both", choices=["monolith", "microservices", "both"])
    run.add_argument("--monolith-port", type=int, default=8000)
    run.add_argument("--gateway-port", type=int, default=8080)
    run.add_argument("--services-port", type=int, default=DEFAULT_SERVICES_PORT,
                     help="the first of the four services' ports (default: %(default)s, then the next three)")
    run.add_argument("--data-dir", default="data", help="where SQLite files and objects live (default: ./data)")
    run.add_argument("--health-timeout", type=float, default=60.0, help="seconds to wait for each process")
    run.set_defaults(func=up)
    rec = commands.add_parser("recognize", help="print the tags the recognizer gives image files")
    rec.add_argument("images", nargs="+")
    rec.add_argument("--backend", default="efficientnet")
    rec.add_argument("--data-dir", default="data", help="where the built model is cached")
    rec.set_defaults(func=recognize)
    contracts.add_parser(commands)
    sla.add_parser(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `twintag` command."""
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
