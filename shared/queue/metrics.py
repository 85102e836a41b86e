"""Queue depth as a Prometheus gauge, read from the jobs table at scrape time."""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

from shared.queue.queue import JobQueue

log = logging.getLogger("twintag.queue.metrics")


class QueueDepthCollector:
    """Reports how many jobs of a queue are in each status (ready, leased, done, dead)."""

    def __init__(self, queue: JobQueue):
        self.queue = queue

    def collect(self):
        gauge = GaugeMetricFamily("twintag_queue_jobs", "Jobs in the queue by status.", labels=["queue", "status"])
        try:
            counts = self.queue.counts()
        except Exception as exc:  # a scrape must still answer while the database is down
            log.warning("queue depth unavailable: %s", exc)
            counts = {}
        for status, count in counts.items():
            gauge.add_metric([self.queue.name, str(status)], count)
        yield gauge

    def describe(self):
        return []
