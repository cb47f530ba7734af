"""How long a tenant keeps its change log, and the purge that enforces it.

``Tenant.settings["audit"]["retention_days"]``: 30..3650, 365 when absent. Checked when a
tenant is validated (``Tenant.clean``, which the admin and ``update_tenant`` run); a value
that got in some other way is logged and the default used, never a reason to purge more
than the default would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from django.utils import timezone

from apps.core import tenancy
from apps.core.tenant_runner import TaskRun, for_each_tenant
from apps.tenants.models import Tenant

from .models import ChangeLog

log = structlog.get_logger(__name__)

DEFAULT_RETENTION_DAYS = 365
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 3650
#: Rows deleted per statement, and statements per tenant per run: a run is bounded, and
#: what it leaves is taken by the next one (the beat runs it daily).
PURGE_BATCH = 5000
PURGE_BATCHES_PER_TENANT = 20


def _valid(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and MIN_RETENTION_DAYS <= value <= MAX_RETENTION_DAYS


def settings_problems(tenant_settings: Any) -> list[str]:
    """What is wrong with the ``audit`` section of a tenant's settings (nothing if absent):
    it takes only ``retention_days``, a whole number of days from 30 to 3650."""
    if not isinstance(tenant_settings, dict) or "audit" not in tenant_settings:
        return []
    section = tenant_settings["audit"]
    if not isinstance(section, dict) or set(section) - {"retention_days"}:
        return ['The "audit" settings take only "retention_days".']
    if "retention_days" in section and not _valid(section["retention_days"]):
        return [f"audit.retention_days is a whole number of days from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}."]
    return []


def retention_days(tenant_settings: dict[str, Any] | None) -> int:
    """The tenant's retention in days; an invalid value is logged and the default used."""
    section = tenant_settings.get("audit") if isinstance(tenant_settings, dict) else None
    value = section.get("retention_days") if isinstance(section, dict) else None
    if value is None:
        return DEFAULT_RETENTION_DAYS
    if _valid(value):
        return int(value)
    log.warning("audit.retention_setting_ignored", value=str(value)[:32])
    return DEFAULT_RETENTION_DAYS


def purge_tenant(tenant: Tenant, now: datetime | None = None) -> int:
    """Delete the tenant's entries older than its retention, at most
    ``PURGE_BATCH`` x ``PURGE_BATCHES_PER_TENANT`` of them; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days(tenant.settings))
    deleted = 0
    with tenancy.tenant_context(tenant):
        for _ in range(PURGE_BATCHES_PER_TENANT):
            # The oldest first, through the (tenant, time) index; each batch commits alone.
            ids = list(
                ChangeLog.objects.filter(time__lt=cutoff)
                .order_by("time", "id")
                .values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                break
            deleted += ChangeLog.objects.filter(pk__in=ids).delete()[0]
            if len(ids) < PURGE_BATCH:
                break
    return deleted


def purge_all(now: datetime | None = None) -> TaskRun:
    """Purge every active tenant (the ``audit.purge_changelog`` task): per tenant, the
    entries ``deleted``. Idempotent: a second run finds nothing older than the cutoff. One
    tenant failing is logged and reported, and the others go on; each batch commits
    alone, so a failure keeps what the batches before it deleted."""
    now = now or timezone.now()

    def tenant_purge(tenant: Tenant) -> dict[str, int]:
        count = purge_tenant(tenant, now)
        if count:
            log.info("audit.purged", tenant=tenant.slug, deleted=count)
        return {"deleted": count}

    return for_each_tenant("audit.purge_changelog", tenant_purge, atomic=False)
