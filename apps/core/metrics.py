"""Prometheus metrics: HTTP requests from the web processes, Celery tasks from the workers.

Multiprocess mode. gunicorn runs several worker processes (and recycles them after
``--max-requests``); each keeps its own counters, so one process alone cannot answer
``/metrics``. With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client writes every
value to a memory-mapped file in that directory and ``/metrics`` sums the files of all
processes, dead ones included (counters and histograms only ever add up, so the files of
recycled workers must stay until the next start). Only counters and histograms are used
on purpose: a gauge would also need gunicorn's ``child_exit`` hook to call
``multiprocess.mark_process_dead``.

prometheus_client decides between the two modes once, when it is first imported, by
reading the environment variable (not Django settings). The variable therefore has to be
in the environment of the process before anything imports prometheus_client:
``scripts/run.sh`` exports it and empties the directory before honcho starts the
processes, which is enough because every process inherits it. ``render_metrics`` asks
prometheus_client which mode it chose instead of re-reading the environment, so the
two can never disagree.

Celery workers usually run on other hosts, so task counts go to Redis (one hash) and
``/metrics`` reads them back; any web process can then report every worker's tasks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import structlog
from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess, values
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter(
    "youtility_http_requests_total", "HTTP requests by method, route and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "youtility_http_request_duration_seconds",
    "HTTP request latency by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def multiprocess_dir() -> str | None:
    """The directory the values live in when prometheus_client runs in multiprocess mode, else None."""
    if values.ValueClass is values.MutexValue:
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def celery_counts_key() -> str:
    # Namespaced like the cache, so installations (and test runs) sharing a Redis keep apart.
    return f"{settings.CACHES['default']['KEY_PREFIX']}:metrics:celery:tasks"


def redis_client():  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def record_celery_task(task_name: str, state: str) -> None:
    redis_client().hincrby(celery_counts_key(), f"{task_name}|{state}", 1)


class CeleryTaskCollector(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        import redis

        family = CounterMetricFamily(
            "youtility_celery_tasks", "Celery tasks by name and final state.", labels=["task", "state"]
        )
        try:
            counts = redis_client().hgetall(celery_counts_key())
        except redis.RedisError as exc:
            # The HTTP metrics are still worth serving; readiness reports Redis itself.
            log.warning("metrics.celery_counts_unavailable", error=type(exc).__name__)
            return
        for field, value in sorted(counts.items()):
            task, _, state = field.decode().partition("|")
            family.add_metric([task, state], int(value))
        yield family


def render_metrics() -> bytes:
    registry = CollectorRegistry()
    directory = multiprocess_dir()
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        for collector in (HTTP_REQUESTS, HTTP_LATENCY):
            registry.register(_Forward(collector))
    registry.register(CeleryTaskCollector())
    return generate_latest(registry)


class _Forward(Collector):
    """Expose one collector of the process registry in a fresh registry."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def collect(self):  # type: ignore[no-untyped-def]
        return self._collector.collect()
