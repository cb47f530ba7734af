from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from apps.core.tenant_runner import for_each_database

from .models import RefreshToken


@shared_task(name="people.purge_expired_refresh_tokens")
def purge_expired_refresh_tokens() -> dict[str, Any]:
    """Delete refresh tokens that expired over a day ago, in every tenant database (per
    database: the tokens ``deleted``); a database that fails does not stop the others.

    Idempotent: a second run finds nothing to delete.
    """
    cutoff = timezone.now() - timedelta(days=1)
    return for_each_database(
        "people.purge_expired_refresh_tokens",
        lambda _alias: {"deleted": _purge_expired(cutoff)},
        reason="purge expired refresh tokens",
    ).as_dict()


def _purge_expired(cutoff: datetime) -> int:
    """Delete the refresh tokens that expired before ``cutoff`` in the database in context."""
    return RefreshToken.objects.filter(expires_at__lt=cutoff).delete()[0]
