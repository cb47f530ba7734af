"""Escalation of unacknowledged alerts: the delays, and the periodic run that applies them.

An alert nobody acknowledged within the delay of its severity escalates: status
ESCALATED, level + 1, a timeline entry, an e-mail to the next level (level 1: the site's
in-charge and supervisors; level 2: the tenant admins) and the ``alert.escalated``
webhook. Still unacknowledged after the same delay again, it escalates to the next
level, up to ``MAX_LEVEL``.

Delays (minutes; null = never) come from ``Tenant.settings["noc"]["escalation_minutes"]``,
falling back per severity to the ``NOC_ESCALATION_MINUTES`` setting (which holds the
defaults and is checked when the settings load). An alert's next due time is fixed when
its clock starts (raised, revived, escalated), so a changed setting applies to the next
clock.

The run is idempotent under concurrency: each alert is locked with ``SKIP LOCKED`` and
re-checked under the lock, so two runs at the same moment escalate it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core import tenancy
from apps.core.tenant_runner import TaskRun, for_each_tenant
from apps.tenants.models import Tenant

from . import announce
from .models import Alert, AlertEvent
from .recipients import escalation_recipients

log = structlog.get_logger(__name__)

MAX_LEVEL = 2
#: The longest delay a company may set; the installation's (NOC_ESCALATION_MINUTES) has the same bound.
MAX_DELAY_MINUTES = 7 * 24 * 60
#: Alerts escalated per tenant and run; the rest wait for the next run.
BATCH_SIZE = 500


def _valid_minutes(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DELAY_MINUTES)


def escalation_minutes(tenant_settings: dict[str, Any] | None = None) -> dict[str, int | None]:
    """Delay per severity in minutes (None: never), for the tenant in context unless
    ``tenant_settings`` (a ``Tenant.settings``) is given. Invalid tenant values are ignored."""
    minutes = dict(settings.NOC_ESCALATION_MINUTES)
    if tenant_settings is None:
        tenant_id = tenancy.current_tenant().id
        tenant_settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    noc = tenant_settings.get("noc") if isinstance(tenant_settings, dict) else None
    per_tenant = noc.get("escalation_minutes") if isinstance(noc, dict) else None
    if isinstance(per_tenant, dict):
        for key, value in per_tenant.items():
            if key in minutes and _valid_minutes(value):
                minutes[key] = value
            else:
                log.warning("noc.escalation_setting_ignored", severity=str(key)[:32])
    return minutes


def next_due(severity: str, level: int, start: datetime, minutes: dict[str, int | None]) -> datetime | None:
    """When an unacknowledged alert at ``level`` escalates, counting from ``start``."""
    delay = minutes.get(severity)
    if delay is None or level >= MAX_LEVEL:
        return None
    return start + timedelta(minutes=delay)


def escalate_due_alerts(now: datetime | None = None) -> TaskRun:
    """Escalate every due alert of every active tenant (the ``noc.escalate_alerts`` task):
    per tenant, the alerts ``escalated``. One tenant failing is logged and reported, and
    the others go on. Each alert commits alone, so its e-mails leave at once and a
    later failure does not undo it."""
    now = now or timezone.now()
    return for_each_tenant(
        "noc.escalate_alerts", lambda tenant: {"escalated": escalate_tenant(tenant, now)}, atomic=False
    )


def escalate_tenant(tenant: Tenant, now: datetime) -> int:
    """Escalate the due alerts of the tenant in context; returns how many escalated."""
    due = list(
        Alert.objects.filter(status__in=Alert.UNACKNOWLEDGED_STATUSES, escalate_at__lte=now)
        .order_by("escalate_at", "pk")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    if not due:
        return 0
    minutes = escalation_minutes(tenant.settings)
    done = 0
    for pk in due:
        with transaction.atomic(using=tenancy.db_alias()):
            alert = (
                Alert.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("site", "acknowledged_by", "assigned_to", "resolved_by", "source_type")
                .filter(pk=pk, status__in=Alert.UNACKNOWLEDGED_STATUSES, escalate_at__lte=now)
                .first()
            )
            if alert is None:
                continue  # acknowledged meanwhile, or another run holds or has done it
            _escalate(alert, now, minutes)
            done += 1
    return done


def _escalate(alert: Alert, now: datetime, minutes: dict[str, int | None]) -> None:
    level = alert.escalation_level + 1
    waited = minutes.get(alert.severity)
    previous = alert.status
    alert.status = Alert.Status.ESCALATED
    alert.escalation_level = level
    alert.escalate_at = next_due(alert.severity, level, now, minutes)
    alert.save(update_fields=["status", "escalation_level", "escalate_at", "modified_at", "modified_by"])
    people = escalation_recipients(alert.site, level)
    AlertEvent.objects.create(
        alert=alert,
        kind=AlertEvent.Kind.ESCALATED,
        actor=None,
        at=now,
        from_status=previous,
        to_status=alert.status,
        note=f"Not acknowledged in time; escalated to level {level}.",
        data={"level": level, "waited_minutes": waited, "notified": people},
    )
    log.info("noc.alert_escalated", alert_id=alert.pk, level=level, notified=len(people))
    announce.escalated(alert, level, people)
