"""Celery application: Redis broker, django-celery-results, django-celery-beat.

Every task published from a request or another task carries the tenant and correlation
id in its message headers (``before_task_publish``), and the worker restores both before
the task runs (``task_prerun``), so tenant-owned queries and log lines work the same
inside a task. Tasks are named ``<app>.<task>`` and routed by that prefix.
"""

from __future__ import annotations

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")


class YoutilityTask(Task):
    """Defaults for every task: late ack (set in settings), retry with backoff on
    transient failures of the database, Redis or network."""

    autoretry_for: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


app = Celery("youtility", task_cls=YoutilityTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _extend_autoretry(sender: Celery, **kwargs: object) -> None:
    # Database connection errors are transient too; imported late because Django must be set up.
    from django.db import InterfaceError, OperationalError

    YoutilityTask.autoretry_for = (ConnectionError, TimeoutError, OperationalError, InterfaceError)
