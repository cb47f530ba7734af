"""Factories for the NOC tests and the tenant-isolation test (see apps/core/testing/isolation.py).

Sites and clients are made with the ORM directly: these tests are about alerts, and must
not depend on how the sites app validates its own writes. Alerts go through
``raise_alert``, the one door every producer uses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.contrib.gis.geos import Point
from django.utils import timezone

from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.noc import services
from apps.noc.models import Alert, AlertEvent, MaintenanceWindow
from apps.sites.models import Client, Site
from apps.tenants.models import Tenant


def make_site(code: str | None = None, *, name: str = "", client: Client | None = None) -> Site:
    """A site (and, unless given, its client) of the tenant in context."""
    suffix = uuid4().hex[:8]
    if client is None:
        client = Client.objects.create(code=f"C-{suffix}", name=f"Client {suffix}")
    code = code or f"S-{suffix}"
    return Site.objects.create(client=client, code=code, name=name or f"Site {code}", location=Point(72.95, 18.95))


def raise_test_alert(site: Site | None = None, **fields: Any) -> Alert:
    fields.setdefault("type", Alert.Type.TOUR_MISSED)
    fields.setdefault("severity", Alert.Severity.MEDIUM)
    fields.setdefault("dedupe_key", f"test:{uuid4().hex}")
    fields.setdefault("title", "Night patrol tour missed")
    return services.raise_alert(site=site, **fields)


def make_window(site: Site, *, starts_in: timedelta = timedelta(hours=-1), hours: float = 2, **fields: Any) -> Any:
    starts_at = timezone.now() + starts_in
    fields.setdefault("reason", "Generator servicing")
    return MaintenanceWindow.objects.create(
        site=site, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), **fields
    )


@isolation_factory(Alert)
def make_isolation_alert(tenant: Tenant) -> Alert:
    return raise_test_alert(make_site(), severity=Alert.Severity.LOW)


@isolation_factory(AlertEvent)
def make_isolation_alert_event(tenant: Tenant) -> AlertEvent:
    return make_isolation_alert(tenant).events.get()


@isolation_factory(MaintenanceWindow)
def make_isolation_window(tenant: Tenant) -> MaintenanceWindow:
    window: MaintenanceWindow = make_window(make_site())
    return window


@isolation_graphql_args("alert")
def alert_args(alert: Alert) -> dict[str, Any]:
    return {"id": str(alert.pk)}
