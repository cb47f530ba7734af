"""Queueing the send tasks once the rows they send are committed.

The rows (``NotificationLog``, ``WebhookDelivery``) are written in the caller's
transaction, so a rolled-back alert or ticket sends nothing; the tasks are published from
``on_commit``, in the tenant of the caller. Publishing is ``robust``: if the broker is
down at that moment the change still stands, and ``redispatch_due`` picks the rows up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core import tenancy

from .models import NotificationLog, WebhookDelivery


def task_options(countdown: float = 0) -> dict[str, Any]:
    """Options of every publish: ``NOTIFICATIONS_TASK_QUEUE`` overrides routing by name (tests
    use it to reach their own worker), and ``countdown`` delays a retry."""
    options: dict[str, Any] = {}
    if settings.NOTIFICATIONS_TASK_QUEUE:
        options["queue"] = settings.NOTIFICATIONS_TASK_QUEUE
    if countdown > 0:
        options["countdown"] = countdown
    return options


#: The Celery task that sends each kind of row ("email", "webhook"). The tasks run
#: ``delivery``, which queues its retries through here, so this module cannot import them:
#: the app's ``ready()`` registers them, before any process publishes.
_senders: dict[str, Any] = {}


def register_senders(**tasks: Any) -> None:
    _senders.update(tasks)


def publish(task_name: str, jobs: list[tuple[int, str]], countdown: float = 0) -> None:
    """Publish ``task_name(id, uuid)`` for each job now, in the tenant in context."""
    task = _senders[task_name]
    for pk, uuid in jobs:
        task.apply_async(args=(pk, uuid), **task_options(countdown))


def _on_commit(task_name: str, rows: Iterable[Any], countdown: float = 0) -> None:
    jobs = [(row.pk, str(row.uuid)) for row in rows]
    if not jobs:
        return
    ctx = tenancy.current_tenant()

    def send() -> None:
        with tenancy.tenant_context(ctx):
            publish(task_name, jobs, countdown)

    transaction.on_commit(send, using=tenancy.db_alias(), robust=True)


def send_emails_on_commit(rows: Iterable[NotificationLog], countdown: float = 0) -> None:
    _on_commit("email", rows, countdown)


def deliver_on_commit(rows: Iterable[WebhookDelivery], countdown: float = 0) -> None:
    _on_commit("webhook", rows, countdown)
