"""Periodic NOC work, run by Celery beat."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .escalation import escalate_due_alerts


@shared_task(name="noc.escalate_alerts")
def escalate_alerts() -> dict[str, Any]:
    """Escalate unacknowledged alerts whose delay has passed, in every active tenant.

    Idempotent and safe to overlap: an alert is escalated once per due time, however many
    runs see it at the same moment. Schedule it every minute.
    """
    return escalate_due_alerts().as_dict()
