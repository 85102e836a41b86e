"""A durable job queue in the database, shared by the monolith and the microservices."""

from shared.queue.backoff import Backoff
from shared.queue.jobs import DeadJob, Job, Outcome
from shared.queue.queue import JobQueue
from shared.queue.tables import JobRow, QueueBase, Status
from shared.queue.worker import Worker, serve, start_workers, stop_on_signals

__all__ = [
    "Backoff",
    "DeadJob",
    "Job",
    "JobQueue",
    "JobRow",
    "Outcome",
    "QueueBase",
    "Status",
    "Worker",
    "serve",
    "start_workers",
    "stop_on_signals",
]
