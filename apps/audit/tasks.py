"""Periodic task of the change log."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import retention


@shared_task(name="audit.purge_changelog")
def purge_changelog() -> dict[str, Any]:
    """Periodic: delete each tenant's change log entries past its retention (bounded per run)."""
    return retention.purge_all().as_dict()
