"""Prometheus metrics: HTTP requests from the web processes, Celery tasks from the workers.

Web processes (gunicorn workers) share counters through ``PROMETHEUS_MULTIPROC_DIR``.
Celery workers usually run on other hosts, so task counts go to Redis (one hash) and
``/metrics`` reads them back; any web process can then report every worker's tasks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

CELERY_COUNTS_KEY = "metrics:celery:tasks"

HTTP_REQUESTS = Counter(
    "youtility_http_requests_total", "HTTP requests by method, route and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "youtility_http_request_duration_seconds",
    "HTTP request latency by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def redis_client():  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def record_celery_task(task_name: str, state: str) -> None:
    redis_client().hincrby(CELERY_COUNTS_KEY, f"{task_name}|{state}", 1)


class CeleryTaskCollector(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "youtility_celery_tasks", "Celery tasks by name and final state.", labels=["task", "state"]
        )
        for field, value in redis_client().hgetall(CELERY_COUNTS_KEY).items():
            task, _, state = field.decode().partition("|")
            family.add_metric([task, state], int(value))
        yield family


def render_metrics() -> bytes:
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        from prometheus_client import REGISTRY

        for collector in (HTTP_REQUESTS, HTTP_LATENCY):
            registry.register(_Forward(collector, REGISTRY))
    registry.register(CeleryTaskCollector())
    return generate_latest(registry)


class _Forward(Collector):
    """Expose one collector of the process registry in a fresh registry."""

    def __init__(self, collector: Collector, _registry: object) -> None:
        self._collector = collector

    def collect(self):  # type: ignore[no-untyped-def]
        return self._collector.collect()
