from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.core.tenancy import system_context

from .models import RefreshToken


@shared_task(name="people.purge_expired_refresh_tokens")
def purge_expired_refresh_tokens() -> int:
    """Delete refresh tokens that expired over a day ago, in every tenant database.

    Idempotent: a second run finds nothing to delete.
    """
    cutoff = timezone.now() - timedelta(days=1)
    deleted = 0
    for alias in settings.DATABASES:
        with system_context("purge expired refresh tokens", db_alias=alias):
            deleted += RefreshToken.objects.filter(expires_at__lt=cutoff).delete()[0]
    return deleted
