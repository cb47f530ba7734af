"""Django admin: alerts read only with their timelines, maintenance windows through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.noc.models import MaintenanceWindow

from .factories import make_site, make_window, raise_test_alert

pytestmark = pytest.mark.django_db


def console_login(persona: Any) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return client


def test_alerts_are_listed_for_the_tenant_and_read_only(
    tenant_a: Any, tenant_a_admin: Any, tenant_b: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        mine = raise_test_alert(world.north, title="ALPHA-ALERT")
    with tenant_context(tenant_b):
        foreign = raise_test_alert(make_site(), title="BRAVO-ALERT")
    client = console_login(tenant_a_admin)
    page = client.get("/admin/noc/alert/")
    assert page.status_code == 200
    assert b"ALPHA-ALERT" in page.content and b"BRAVO-ALERT" not in page.content
    detail = client.get(f"/admin/noc/alert/{mine.pk}/change/")
    assert detail.status_code == 200
    assert b"Created" in detail.content  # the timeline inline
    assert b'name="_save"' not in detail.content
    assert client.get(f"/admin/noc/alert/{foreign.pk}/change/").status_code == 302
    assert client.get("/admin/noc/alert/add/").status_code == 403
    assert client.post(f"/admin/noc/alert/{mine.pk}/delete/", {"post": "yes"}).status_code == 403


def window_form(site: Any, starts: str, ends: str, reason: str = "Servicing") -> dict[str, Any]:
    return {
        "site": site.pk,
        "starts_at_0": starts.split()[0],
        "starts_at_1": starts.split()[1],
        "ends_at_0": ends.split()[0],
        "ends_at_1": ends.split()[1],
        "reason": reason,
    }


def test_windows_are_written_through_the_service(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = console_login(tenant_a_admin)
    refused = client.post(
        "/admin/noc/maintenancewindow/add/", window_form(world.north, "2030-01-01 12:00:00", "2030-01-01 10:00:00")
    )
    assert refused.status_code == 200
    assert "invalid_window" in refused.content.decode()
    with tenant_context(tenant_a):
        assert not MaintenanceWindow.objects.exists()

    added = client.post(
        "/admin/noc/maintenancewindow/add/", window_form(world.north, "2030-01-01 10:00:00", "2030-01-01 12:00:00")
    )
    assert added.status_code == 302, added.content
    with tenant_context(tenant_a):
        window = MaintenanceWindow.objects.get()
        assert (window.site_id, window.reason, window.created_by_id) == (
            world.north.pk,
            "Servicing",
            tenant_a_admin.person.pk,
        )
        other = make_window(world.south)
    deleted = client.post(f"/admin/noc/maintenancewindow/{window.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    with tenant_context(tenant_a):
        assert list(MaintenanceWindow.objects.values_list("pk", flat=True)) == [other.pk]
