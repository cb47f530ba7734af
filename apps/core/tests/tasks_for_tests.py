"""Tasks and an in-process Celery worker for the plumbing tests.

The worker is real: it consumes from the Redis broker of the settings and stores results
with django-celery-results, in a thread of the test process. It listens only on a queue
named for this test session, and the tests publish there explicitly, so it never takes
messages of another test run or of a development worker sharing the same Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import OperationalError, connections

from apps.core import context, tenancy
from apps.people.models import Person
from youtility.celery import app as celery_app

TEST_QUEUE = f"test-core-{uuid.uuid4().hex}"


def _context_snapshot() -> dict[str, Any]:
    ctx = tenancy.current()
    return {
        "tenant": ctx.slug if isinstance(ctx, tenancy.TenantContext) else None,
        "request_id": structlog.contextvars.get_contextvars().get("request_id"),
        "actor": context.current_actor_id(),
    }


@shared_task(name="coretests.context_probe")
def context_probe(own_person_id: int, other_person_id: int) -> dict[str, Any]:
    """Report the context the task runs in and which of two people it can read."""
    result = _context_snapshot()
    try:
        result["sees"] = sorted(
            Person.objects.filter(pk__in=[own_person_id, other_person_id]).values_list("pk", flat=True)
        )
        result["error"] = None
    except tenancy.TenantContextMissing:
        result["sees"] = None
        result["error"] = "TenantContextMissing"
    return result


@shared_task(name="coretests.flaky", bind=True)
def flaky(self: Any) -> dict[str, Any]:
    """Fail like a restarting database on the first attempt, succeed on the retry."""
    if self.request.retries == 0:
        raise OperationalError("the database system is starting up")
    return {**_context_snapshot(), "retries": self.request.retries}


@shared_task(name="coretests.add")
def add(x: int, y: int) -> int:
    return x + y


@task_postrun.connect(weak=False, dispatch_uid="coretests.close_worker_connections")
def _close_worker_connections(task: Any, **_: Any) -> None:
    # A deployed worker closes its database connections between tasks (Celery's Django
    # fixup); the embedded one does not, and an open connection from the worker thread
    # would keep the test databases from being dropped at the end of the session.
    if not task.request.is_eager:
        connections.close_all()


@pytest.fixture(scope="module")
def celery_worker() -> Iterator[Any]:
    """A real worker consuming ``TEST_QUEUE`` for the tests of one module."""
    with start_worker(
        celery_app,  # type: ignore[arg-type]  # the stubs expect the plain Task class
        pool="solo",
        perform_ping_check=False,
        queues=[TEST_QUEUE],
        shutdown_timeout=30,
    ) as worker:
        yield worker
    # Declaring first tells the channel the queue's bindings, so delete() removes them too.
    with celery_app.connection_for_write() as conn:
        queue = celery_app.amqp.queues[TEST_QUEUE](conn.default_channel)
        queue.declare()
        queue.delete()
