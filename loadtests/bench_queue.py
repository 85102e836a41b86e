"""Queue throughput: worker processes drain trivial jobs; prints jobs/s and duplicate runs.

Run from the project root: python -m loadtests.bench_queue [--jobs 2000 --workers 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python loadtests/bench_queue.py` finds tests.support

from shared.db import make_engine, transaction
from shared.queue import JobQueue, QueueBase, Worker

SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Result:
    """One benchmark run."""

    backend: str
    jobs: int
    seconds: float
    duplicates: int
    lost: int

    def line(self) -> str:
        """Format the run as one report line."""
        rate = self.jobs / self.seconds
        return (f"{self.backend:<11} {self.jobs} jobs in {self.seconds:6.2f} s = {rate:7.1f} jobs/s"
                f"   duplicates={self.duplicates} lost={self.lost}")


def _work(url: str, batch: int, ready: Any, stop: Any, report: Any) -> None:
    """Worker process: handle jobs trivially, then report which job ids it ran."""
    engine = make_engine(url)
    ran: list[int] = []
    try:
        queue = JobQueue(engine, "bench", lease_seconds=300)
        ready.wait()
        Worker(queue, lambda job: ran.append(job.id), poll_interval=0.01, batch=batch).run(stop)
    finally:
        engine.dispose()
        report.put(ran)


def bench(backend: str, url: str, *, jobs: int, workers: int, batch: int) -> Result:
    """Enqueue `jobs` jobs, then time `workers` processes draining them."""
    engine = make_engine(url)
    QueueBase.metadata.create_all(engine)
    queue = JobQueue(engine, "bench")
    with transaction(engine) as session:
        for number in range(jobs):
            queue.enqueue(session, {"n": number})
    ready, stop, report = SPAWN.Barrier(workers + 1), SPAWN.Event(), SPAWN.Queue()
    processes = [SPAWN.Process(target=_work, args=(url, batch, ready, stop, report))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    ready.wait(timeout=120)
    started = time.perf_counter()
    while queue.counts()["done"] < jobs:
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    stop.set()
    ran = [job_id for _ in processes for job_id in report.get(timeout=60)]
    for process in processes:
        process.join(timeout=60)
    engine.dispose()
    return Result(backend, jobs, seconds, len(ran) - len(set(ran)), jobs - len(set(ran)))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark on SQLite, then on PostgreSQL if its server binaries are on PATH."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="jobs claimed per transaction")
    args = parser.parse_args(argv)
    options = {"jobs": args.jobs, "workers": args.workers, "batch": args.batch}
    print(f"{args.workers} worker processes, batch={args.batch}")
    with tempfile.TemporaryDirectory(prefix="twintag-bench-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        print(bench("sqlite", url, **options).line())
        if shutil.which("initdb") and shutil.which("pg_ctl"):
            from tests.support.postgres import PostgresCluster  # test tooling, only when needed

            with PostgresCluster.start(Path(scratch)) as cluster:
                print(bench("postgresql", cluster.create_database("bench"), **options).line())
        else:
            print("postgresql  skipped: initdb/pg_ctl not found on PATH")


if __name__ == "__main__":
    main()
