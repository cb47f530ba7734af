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

Every label value comes from a closed set, so no request can create a series: a method
is a standard one or ``other``, a route is a URL pattern or ``unmatched``, a status is
one of the codes the application answers with or its class (``4xx``), a task is a
registered task or ``other``. Without that, each made-up method (``FOO1``, ``FOO2``...)
would be a new series held forever in every worker and in Prometheus.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterator

import structlog
from celery import current_app, states
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


OTHER = "other"
UNMATCHED = "unmatched"
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
#: Codes worth their own series: what the application, DRF and Django answer with, each
#: telling a different story (401 sign-in trouble, 403 scope, 404 scans, 409 conflicts,
#: 413 bodies, 429 throttling, 503 readiness). Any other code counts under its class, so
#: a view that starts answering 418 adds one ``4xx`` series, not one per code.
STATUS_CODES = frozenset(
    {200, 201, 202, 204, 301, 302, 303, 304, 307, 308}
    | {400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 415, 422, 429}
    | {500, 502, 503, 504}
)
TASK_STATES = frozenset(states.ALL_STATES | {"UNKNOWN"})


def method_label(method: str | None) -> str:
    """The request method, or ``other`` for anything but the standard ones."""
    return method if method in STANDARD_METHODS else OTHER


def route_label(route: str | None) -> str:
    """``/`` + the URL pattern that matched (``route`` of the resolver match), or ``unmatched``."""
    return UNMATCHED if route is None else f"/{route}"


def status_label(status: int) -> str:
    """The code itself when it is one of ``STATUS_CODES``, else its class (``4xx``)."""
    if status in STATUS_CODES:
        return str(status)
    if 100 <= status <= 599:
        return f"{status // 100}xx"
    return OTHER


def task_label(name: str) -> str:
    """A task name the Celery registry knows, or ``other``."""
    return name if name in current_app.tasks else OTHER


def task_state_label(state: str) -> str:
    return state if state in TASK_STATES else OTHER


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
    redis_client().hincrby(celery_counts_key(), f"{task_label(task_name)}|{task_state_label(state)}", 1)


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
        # The hash is shared (other versions of the workers, anything with access to Redis):
        # bound its labels again here and add up what falls together.
        totals: Tally[tuple[str, str]] = Tally()
        for field, value in counts.items():
            task, _, state = field.decode(errors="replace").partition("|")
            try:
                totals[(task_label(task), task_state_label(state))] += int(value)
            except ValueError:
                continue  # not a count: nothing a worker of ours wrote
        for labels, total in sorted(totals.items()):
            family.add_metric(list(labels), total)
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
