"""Demo alerts: six open alerts per tenant across its sites, types and severities, one
acknowledged; and a maintenance window with the alert it suppressed.

Written directly (not through ``raise_alert``) so that loading the demo sends no e-mail
and no webhook. Idempotent: an alert is looked up by its dedupe key, the window by site
and reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.people.models import Person
from apps.sites.models import Site

from .escalation import escalation_minutes, next_due
from .models import Alert, AlertEvent, MaintenanceWindow

# (type, severity, title, minutes ago, site index)
DEMO_ALERTS = [
    (Alert.Type.SOS, Alert.Severity.CRITICAL, "SOS pressed by a guard at the gate", 2, 0),
    (Alert.Type.TOUR_MISSED, Alert.Severity.HIGH, "Night patrol tour missed", 40, 1),
    (Alert.Type.READING_OUT_OF_RANGE, Alert.Severity.MEDIUM, "Fire pump pressure below 6 bar", 25, 2),
    (Alert.Type.DEVICE_OFFLINE, Alert.Severity.LOW, "Panic button offline for 2 hours", 120, 3),
    (Alert.Type.GEOFENCE_BREACH, Alert.Severity.HIGH, "Guard left the site during the shift", 8, 4),
    (Alert.Type.ATTENDANCE_MISSING, Alert.Severity.MEDIUM, "Morning shift: one guard has not punched in", 15, 0),
]
WINDOW_REASON = "Demo: generator and fire-panel servicing"


def load_alerts(tenant: Any, say: Callable[[str], None]) -> None:
    sites = list(Site.objects.order_by("code"))
    if not sites:
        return
    now = timezone.now()
    minutes = escalation_minutes(tenant.settings)
    supervisor = Person.objects.filter(login="supervisor").first()
    created = 0
    for n, (type_, severity, title, ago, site_index) in enumerate(DEMO_ALERTS, start=1):
        key = f"demo:{n}"
        if Alert.objects.filter(dedupe_key=key).exists():
            continue
        at = now - timedelta(minutes=ago)
        acknowledged = n == 2 and supervisor is not None
        alert = Alert.objects.create(
            type=type_,
            severity=severity,
            title=title,
            site=sites[site_index % len(sites)],
            dedupe_key=key,
            status=Alert.Status.ACKNOWLEDGED if acknowledged else Alert.Status.NEW,
            first_seen_at=at,
            last_seen_at=at,
            escalate_at=None if acknowledged else next_due(severity, 0, at, minutes),
            acknowledged_at=at + timedelta(minutes=3) if acknowledged else None,
            acknowledged_by=supervisor if acknowledged else None,
        )
        AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.CREATED, at=at, to_status=Alert.Status.NEW)
        if acknowledged:
            AlertEvent.objects.create(
                alert=alert,
                kind=AlertEvent.Kind.ACKNOWLEDGED,
                actor=supervisor,
                at=at + timedelta(minutes=3),
                from_status=Alert.Status.NEW,
                to_status=Alert.Status.ACKNOWLEDGED,
                note="Calling the site supervisor.",
            )
        created += 1

    site = sites[-1]
    window = MaintenanceWindow.objects.filter(site=site, reason=WINDOW_REASON).first()
    if window is None:
        window = MaintenanceWindow.objects.create(
            site=site, reason=WINDOW_REASON, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1)
        )
    if not Alert.objects.filter(dedupe_key="demo:maintenance").exists():
        at = now - timedelta(minutes=30)
        alert = Alert.objects.create(
            type=Alert.Type.READING_OUT_OF_RANGE,
            severity=Alert.Severity.HIGH,
            title="Generator output voltage out of range",
            site=site,
            dedupe_key="demo:maintenance",
            status=Alert.Status.SUPPRESSED,
            first_seen_at=at,
            last_seen_at=at,
        )
        AlertEvent.objects.create(
            alert=alert,
            kind=AlertEvent.Kind.SUPPRESSED,
            at=at,
            to_status=Alert.Status.SUPPRESSED,
            note=f"Raised during maintenance: {WINDOW_REASON}",
            data={"maintenance_window": window.pk},
        )
        created += 1
    say(f"  noc: {created} alerts added, maintenance window at {site.code}")


DEMO_STEPS = [(60, load_alerts)]
