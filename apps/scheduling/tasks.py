"""Periodic scheduling work, run by Celery beat (see ``CELERY_BEAT_SCHEDULE``).

Every task here is idempotent and safe to overlap with itself: generation relies on the
job table's unique constraint, auto-close on set-based UPDATEs of open rows only, miss
reports and reminders on row locks taken with ``SKIP LOCKED``.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import autoclose, generation, reminders


@shared_task(name="scheduling.generate_jobs")
def generate_jobs() -> dict[str, Any]:
    """Expand every active schedule of every active tenant into jobs for the rolling window."""
    return generation.generate_all().as_dict()


@shared_task(name="scheduling.autoclose_jobs")
def autoclose_jobs() -> dict[str, Any]:
    """Close the expired jobs that were not done, in every active tenant."""
    return autoclose.autoclose_all().as_dict()


@shared_task(name="scheduling.report_missed")
def report_missed() -> dict[str, Any]:
    """Raise the alerts, e-mails and tickets of jobs the auto-close run closed."""
    return autoclose.report_missed_all().as_dict()


@shared_task(name="scheduling.send_reminders")
def send_reminders() -> dict[str, Any]:
    """Send the PPM reminders whose time has come, once each."""
    return reminders.send_due_reminders().as_dict()
