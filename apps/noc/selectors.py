"""Reads of alerts and maintenance windows, always through the caller's site scope.

Tenant admins see every alert, including alerts raised without a site; everyone else
sees the alerts of ``sites_for(person)`` only. Another site's alert is ``NotFound``,
exactly like another tenant's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.core.errors import NotFound
from apps.sites.selectors import scope_to_sites

from .models import Alert, AlertEvent, MaintenanceWindow

ALERT_RELATIONS = ("site", "acknowledged_by", "assigned_to", "resolved_by", "source_type")


def timeline() -> QuerySet[AlertEvent]:
    return AlertEvent.objects.select_related("actor").order_by("at", "pk")


def alerts_for(person: Any, *, with_timeline: bool = False) -> QuerySet[Alert]:
    """Alerts at the sites ``person`` may see, newest first."""
    queryset = Alert.objects.select_related(*ALERT_RELATIONS)
    if with_timeline:
        queryset = queryset.prefetch_related(Prefetch("events", queryset=timeline()))
    return scope_to_sites(queryset, person).order_by("-first_seen_at", "-pk")


def get_alert_for(person: Any, alert_id: Any, *, with_timeline: bool = False) -> Alert:
    """The alert ``alert_id`` if ``person`` may see it; otherwise ``NotFound``."""
    pk = parse_pk(alert_id)
    alert = alerts_for(person, with_timeline=with_timeline).filter(pk=pk).first() if pk is not None else None
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def windows_for(person: Any) -> QuerySet[MaintenanceWindow]:
    """Maintenance windows of the sites ``person`` may see, latest start first."""
    queryset = MaintenanceWindow.objects.select_related("site")
    return scope_to_sites(queryset, person).order_by("-starts_at", "-pk")


def get_window_for(person: Any, window_id: Any) -> MaintenanceWindow:
    pk = parse_pk(window_id)
    window = windows_for(person).filter(pk=pk).first() if pk is not None else None
    if window is None:
        raise NotFound("No such maintenance window.")
    return window


def parse_pk(value: Any) -> int | None:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
