"""/api/v1/maintenance-windows/: CRUD at the caller's sites, with its limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.noc.models import MaintenanceWindow
from apps.people.models import Role
from conftest import Persona, make_persona

from .factories import make_window

pytestmark = pytest.mark.django_db

WINDOWS = "/api/v1/maintenance-windows/"


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def count(tenant: Any) -> int:
    with tenant_context(tenant):
        return MaintenanceWindow.objects.count()


def test_create_read_update_delete(tenant_a_supervisor: Persona, tenant_a: Any, world: Any) -> None:
    client = tenant_a_supervisor.client()
    starts = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    body = {
        "site": world.north.pk,
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=4)),
        "reason": " Generator service ",
    }
    response = client.post(WINDOWS, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    with tenant_context(tenant_a):
        window = MaintenanceWindow.objects.get()
    assert created == {
        "id": window.pk,
        "uuid": str(window.uuid),
        "site": world.north.pk,
        "site_code": "NORTH",
        "site_name": "North Gate",
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=4)),
        "reason": "Generator service",
        "created_by": tenant_a_supervisor.person.pk,
        "created_at": iso(window.created_at),
        "modified_at": iso(window.modified_at),
    }
    assert client.get(f"{WINDOWS}{window.pk}/").json() == created

    response = client.patch(f"{WINDOWS}{window.pk}/", {"ends_at": iso(starts + timedelta(hours=1))}, format="json")
    assert response.status_code == 200
    assert response.json()["ends_at"] == iso(starts + timedelta(hours=1))

    assert client.delete(f"{WINDOWS}{window.pk}/").status_code == 204
    assert count(tenant_a) == 0


def test_filters_and_scope(tenant_a_supervisor: Persona, tenant_a_admin: Persona, tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        now_north = make_window(world.north)
        later_north = make_window(world.north, starts_in=timedelta(days=1))
        now_south = make_window(world.south)

    def ids(persona: Persona, **params: Any) -> list[int]:
        response = persona.client().get(WINDOWS, params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids(tenant_a_admin) == [later_north.pk, now_south.pk, now_north.pk]
    assert ids(tenant_a_supervisor) == [later_north.pk, now_north.pk]
    assert ids(tenant_a_admin, active_at=iso(timezone.now())) == [now_south.pk, now_north.pk]
    assert ids(tenant_a_admin, site=world.south.pk) == [now_south.pk]
    assert ids(tenant_a_admin, starts_before=iso(timezone.now())) == [now_south.pk, now_north.pk]
    assert ids(tenant_a_admin, ends_after=iso(timezone.now() + timedelta(hours=3))) == [later_north.pk]
    assert error(tenant_a_supervisor.client().get(f"{WINDOWS}{now_south.pk}/")) == (404, "not_found")
    response = tenant_a_supervisor.client().patch(f"{WINDOWS}{now_south.pk}/", {"reason": "x"}, format="json")
    assert error(response) == (404, "not_found")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ends_at": -1}, "invalid_window"),
        ({"ends_at": 0}, "invalid_window"),
        ({"ends_at": 24 * 31 + 1}, "window_too_long"),
        ({"reason": "   "}, "reason_required"),
        ({"reason": "r" * 501}, "reason_too_long"),
        ({"site": "south"}, "unknown_site"),
        ({"site": 10**12}, "unknown_site"),
    ],
)
def test_bad_windows_are_refused(
    tenant_a_supervisor: Persona, tenant_a: Any, world: Any, change: Any, code: str
) -> None:
    starts = timezone.now()
    body: dict[str, Any] = {
        "site": world.north.pk,
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=1)),
        "reason": "Works",
    }
    if "ends_at" in change:
        body["ends_at"] = iso(starts + timedelta(hours=change["ends_at"]))
    if "reason" in change:
        body["reason"] = change["reason"]
    if change.get("site") == "south":
        body["site"] = world.south.pk  # a site the supervisor may not see
    elif "site" in change:
        body["site"] = change["site"]
    response = tenant_a_supervisor.client().post(WINDOWS, body, format="json")
    assert error(response) == (400, code), response.content
    assert count(tenant_a) == 0


def test_an_update_that_breaks_a_rule_changes_nothing(tenant_a_admin: Persona, tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        window = make_window(world.north)
    before = (window.starts_at, window.ends_at, window.reason)
    response = tenant_a_admin.client().patch(
        f"{WINDOWS}{window.pk}/",
        {"ends_at": iso(window.starts_at - timedelta(minutes=1)), "reason": "new"},
        format="json",
    )
    assert error(response) == (400, "invalid_window")
    with tenant_context(tenant_a):
        window.refresh_from_db()
    assert (window.starts_at, window.ends_at, window.reason) == before


def test_times_without_offset_are_read_as_utc(tenant_a_admin: Persona, tenant_a: Any, world: Any) -> None:
    body = {"site": world.north.pk, "starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00", "reason": "x"}
    response = tenant_a_admin.client().post(WINDOWS, body, format="json")
    # The API's time zone is UTC: a time without offset is read as UTC, not refused.
    assert response.status_code == 201
    assert response.json()["starts_at"] == "2030-01-01T10:00:00Z"


def test_who_may_read_and_write(tenant_a: Any, tenant_a_guard: Persona, tenant_a_client: Persona, world: Any) -> None:
    with tenant_context(tenant_a):
        window = make_window(world.north)
        site_role = Role.objects.create(
            code="site-admin", name="Site admin", capabilities=["sites.manage", "sites.view"]
        )
        viewer_role = Role.objects.create(code="noc-viewer", name="NOC viewer", capabilities=["noc.view"])
    site_admin = make_persona(tenant_a, "guard", login="siteadmin", home_site_id=world.north.pk)
    viewer = make_persona(tenant_a, "guard", login="viewer", home_site_id=world.north.pk)
    with tenant_context(tenant_a):
        site_admin.person.roles.set([site_role])
        viewer.person.roles.set([viewer_role])
    body = {"reason": "Changed"}
    assert site_admin.client().patch(f"{WINDOWS}{window.pk}/", body, format="json").status_code == 200
    assert viewer.client().get(f"{WINDOWS}{window.pk}/").status_code == 200
    assert error(viewer.client().patch(f"{WINDOWS}{window.pk}/", body, format="json")) == (403, "permission_denied")
    assert error(viewer.client().delete(f"{WINDOWS}{window.pk}/")) == (403, "permission_denied")
    for persona in (tenant_a_guard, tenant_a_client):
        assert error(persona.client().get(WINDOWS)) == (403, "permission_denied")
    assert count(tenant_a) == 1
