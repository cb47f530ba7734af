"""Celery application: Redis broker, django-celery-results, django-celery-beat.

Every task published from a request or another task carries the tenant and correlation
id in its message headers (``before_task_publish``), and the worker restores both before
the task runs (``task_prerun``), so tenant-owned queries and log lines work the same
inside a task. Tasks are named ``<app>.<task>`` and routed by that prefix.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import beat_init, celeryd_init, setup_logging
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.core.dbbackend import set_process_kind

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")


class YoutilityTask(Task):
    """Defaults for every task: late ack (set in settings), retry with backoff on
    transient failures of the database, Redis or network.

    Celery copies ``autoretry_for`` and the backoff values into each task when the task is
    created (``celery.app.autoretry``), so they must be complete here, on the class:
    changing them after the app is finalized has no effect. Importing ``django.db`` does
    not need configured settings, so the database errors can be named at import time.
    """

    autoretry_for: tuple[type[BaseException], ...] = (
        ConnectionError,
        TimeoutError,
        OperationalError,
        InterfaceError,
        RedisConnectionError,
        RedisTimeoutError,
    )
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


app = Celery("youtility", task_cls=YoutilityTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(weak=False)
def _use_project_logging(**_: Any) -> None:
    """Keep the project's JSON logging in the worker and beat.

    Without a receiver for this signal Celery replaces the root logger's handlers with its
    own plain-text format; with one it leaves logging alone. Settings configure logging
    when they load, so the receiver only has to make sure they have.
    """
    from django.conf import settings

    from apps.core.logging import configure_logging

    configure_logging(level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)


@celeryd_init.connect(weak=False)
@beat_init.connect(weak=False)
def _worker_statement_timeout(**_: Any) -> None:
    """Worker and beat connections get the worker statement timeout, not the web one.

    Web processes import this module too (to publish tasks); only a worker or beat
    sends these signals. ``celeryd_init`` comes before the pool forks, so its children
    inherit the kind.
    """
    set_process_kind("worker")
