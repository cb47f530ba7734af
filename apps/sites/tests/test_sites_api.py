"""REST CRUD, site scope and bad input of clients, sites, groups, shifts, areas and assignments."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import Point

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites import services
from apps.sites.models import Client, Location, Shift, Site, SiteAssignment, SiteGroup, SiteGroupMember

from . import factories as f

SQUARE = {"type": "Polygon", "coordinates": [[[77.5, 12.9], [77.7, 12.9], [77.7, 13.1], [77.5, 13.1], [77.5, 12.9]]]}


def site_body(client_id: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "client": client_id,
        "code": "BLR-01",
        "name": "Bangalore HQ",
        "location": {"type": "Point", "coordinates": [77.5946, 12.9716]},
        "geofence": SQUARE,
        "radius_m": 150,
        "timezone": "Asia/Kolkata",
    }
    return {**body, **overrides}


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
def acme(tenant_a: Any) -> Client:
    with tenant_context(tenant_a):
        return f.client("ACME", name="Acme Corp")


def test_admin_creates_reads_updates_and_deactivates_a_site(tenant_a_admin: Any, acme: Client) -> None:
    api = tenant_a_admin.client()

    created = api.post("/api/v1/sites/", site_body(acme.pk), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    site_id = body["id"]
    assert {k: v for k, v in body.items() if k not in {"id", "uuid", "version"}} == {
        "client": acme.pk,
        "code": "BLR-01",
        "name": "Bangalore HQ",
        "address": "",
        "location": {"type": "Point", "coordinates": [77.5946, 12.9716]},
        "geofence": SQUARE,
        "radius_m": 150,
        "timezone": "Asia/Kolkata",
        "in_charge": None,
        "options": {},
        "is_active": True,
        "distance_m": None,
    }

    assert api.get(f"/api/v1/sites/{site_id}/").json()["code"] == "BLR-01"
    patched = api.patch(f"/api/v1/sites/{site_id}/", {"name": "Bengaluru HQ", "geofence": None}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["name"], patched.json()["geofence"], patched.json()["radius_m"]) == (
        "Bengaluru HQ",
        None,
        150,
    )

    deleted = api.delete(f"/api/v1/sites/{site_id}/")
    assert deleted.status_code == 200
    assert deleted.json()["is_active"] is False
    with tenant_context(tenant_a_admin.tenant):
        site = Site.objects.get(pk=site_id)
        assert (site.name, site.is_active, site.geofence) == ("Bengaluru HQ", False, None)


def test_client_crud_and_delete_deactivates_client_and_its_sites(tenant_a_admin: Any) -> None:
    api = tenant_a_admin.client()
    created = api.post(
        "/api/v1/clients/",
        {"code": "GLOBEX", "name": "Globex", "contract_start": "2026-01-01", "contract_end": "2026-12-31"},
        format="json",
    )
    assert created.status_code == 201, created.content
    client_id = created.json()["id"]
    assert created.json()["contract_end"] == "2026-12-31"
    site_id = api.post("/api/v1/sites/", site_body(client_id), format="json").json()["id"]

    assert api.get("/api/v1/clients/", {"name": "glob"}).json()["count"] == 1
    assert api.patch(f"/api/v1/clients/{client_id}/", {"name": "Globex Inc"}, format="json").json()["name"] == (
        "Globex Inc"
    )
    deleted = api.delete(f"/api/v1/clients/{client_id}/")
    assert (deleted.status_code, deleted.json()["is_active"]) == (200, False)
    with tenant_context(tenant_a_admin.tenant):
        assert Client.objects.filter(pk=client_id, is_active=False).count() == 1
        assert Site.objects.get(pk=site_id).is_active is False


def test_client_contract_ending_before_it_starts_is_refused(tenant_a_admin: Any) -> None:
    response = tenant_a_admin.client().post(
        "/api/v1/clients/",
        {"code": "BAD", "name": "Bad", "contract_start": "2026-05-01", "contract_end": "2026-04-30"},
        format="json",
    )
    assert error(response) == (400, "contract_end_before_start")
    with tenant_context(tenant_a_admin.tenant):
        assert Client.objects.count() == 0


def test_duplicate_codes_are_refused(tenant_a_admin: Any, acme: Client) -> None:
    api = tenant_a_admin.client()
    assert api.post("/api/v1/sites/", site_body(acme.pk), format="json").status_code == 201
    assert error(api.post("/api/v1/sites/", site_body(acme.pk, name="Other"), format="json")) == (400, "duplicate_code")
    assert error(api.post("/api/v1/clients/", {"code": "ACME", "name": "Again"}, format="json")) == (
        400,
        "duplicate_code",
    )
    with tenant_context(tenant_a_admin.tenant):
        assert list(Site.objects.values_list("name", flat=True)) == ["Bangalore HQ"]
        assert Client.objects.count() == 1


def test_unknown_timezone_and_bad_code_are_refused(tenant_a_admin: Any, acme: Client) -> None:
    api = tenant_a_admin.client()
    assert error(api.post("/api/v1/sites/", site_body(acme.pk, timezone="Mars/Olympus"), format="json")) == (
        400,
        "unknown_timezone",
    )
    assert error(api.post("/api/v1/sites/", site_body(acme.pk, code="has space"), format="json")) == (
        400,
        "invalid_code",
    )
    with tenant_context(tenant_a_admin.tenant):
        assert Site.objects.count() == 0


BAD_GEOMETRIES = [
    (
        "geofence",
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        "invalid_polygon",
    ),
    ("location", {"type": "Point", "coordinates": [77.5, 200]}, "latitude_out_of_range"),
    ("location", {"type": "Polygon", "coordinates": SQUARE["coordinates"]}, "wrong_geometry_type"),
    ("geofence", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0.5]]]}, "ring_not_closed"),
    (
        "location",
        {"type": "Point", "coordinates": [77.5, 12.9], "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}},
        "invalid_srid",
    ),
]


@pytest.mark.parametrize(("field", "geometry", "code"), BAD_GEOMETRIES, ids=[c for _, _, c in BAD_GEOMETRIES])
def test_bad_geometry_is_a_400_with_its_code_and_writes_nothing(
    tenant_a_admin: Any, acme: Client, field: str, geometry: dict[str, Any], code: str
) -> None:
    api = tenant_a_admin.client()
    response = api.post("/api/v1/sites/", site_body(acme.pk, **{field: geometry}), format="json")
    assert error(response) == (400, code)
    assert field in response.json()["error"]["details"]["fields"]
    with tenant_context(tenant_a_admin.tenant):
        assert Site.objects.count() == 0
        existing = f.site("KEEP", of=acme)
    patched = api.patch(f"/api/v1/sites/{existing.pk}/", {field: geometry, "name": "Changed"}, format="json")
    assert error(patched) == (400, code)
    with tenant_context(tenant_a_admin.tenant):
        assert Site.objects.get(pk=existing.pk).name == "Site KEEP"


def test_a_location_outside_the_geofence_is_refused(tenant_a_admin: Any, acme: Client) -> None:
    api = tenant_a_admin.client()
    outside = {"type": "Point", "coordinates": [77.8, 12.9716]}
    response = api.post("/api/v1/sites/", site_body(acme.pk, location=outside), format="json")
    assert (error(response), response.json()["error"]["details"]) == (
        (400, "location_outside_geofence"),
        {"field": "geofence"},
    )
    created = api.post("/api/v1/sites/", site_body(acme.pk), format="json").json()
    # Moving the point out of the fence is refused; moving both together is fine.
    moved = api.patch(f"/api/v1/sites/{created['id']}/", {"location": outside}, format="json")
    assert error(moved) == (400, "location_outside_geofence")
    fence = {
        "type": "Polygon",
        "coordinates": [[[77.75, 12.9], [77.85, 12.9], [77.85, 13.0], [77.75, 13.0], [77.75, 12.9]]],
    }
    both = api.patch(f"/api/v1/sites/{created['id']}/", {"location": outside, "geofence": fence}, format="json")
    assert both.status_code == 200, both.content
    assert both.json()["location"] == outside


def test_unknown_and_foreign_ids_are_refused_alike(tenant_a_admin: Any, tenant_b: Any, acme: Client) -> None:
    with tenant_context(tenant_b):
        foreign_client = f.client("B-CLIENT")
        foreign_site = f.site("B-SITE", of=foreign_client)
    api = tenant_a_admin.client()
    for client_id in (foreign_client.pk, 987654321):
        response = api.post("/api/v1/sites/", site_body(client_id), format="json")
        assert error(response) == (400, "unknown_client")
        assert response.json()["error"]["details"] == {"id": client_id}
    for site_id in (foreign_site.pk, 987654321):
        shift = {"site": site_id, "name": "Day", "start_time": "08:00", "end_time": "16:00"}
        assert error(api.post("/api/v1/shifts/", shift, format="json")) == (400, "unknown_site")
        group = {"code": "G1", "name": "Route", "sites": [site_id]}
        assert error(api.post("/api/v1/site-groups/", group, format="json")) == (400, "unknown_site")
    with tenant_context(tenant_a_admin.tenant):
        assert (Site.objects.count(), Shift.objects.count(), SiteGroup.objects.count()) == (0, 0, 0)


def test_shifts_overnight_headcount_and_designation(tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a_admin.tenant):
        site = f.site("NIGHT", of=acme)
    api = tenant_a_admin.client()
    night = api.post(
        "/api/v1/shifts/", {"site": site.pk, "name": "Night", "start_time": "22:00", "end_time": "06:00"}, format="json"
    )
    assert night.status_code == 201, night.content
    assert {k: night.json()[k] for k in ("start_time", "end_time", "overnight", "headcount")} == {
        "start_time": "22:00:00",
        "end_time": "06:00:00",
        "overnight": True,
        "headcount": 1,
    }
    day = api.post(
        "/api/v1/shifts/",
        {"site": site.pk, "name": "Day", "start_time": "06:00", "end_time": "14:00", "headcount": 3},
        format="json",
    )
    assert (day.json()["overnight"], day.json()["headcount"]) == (False, 3)
    zero = {"site": site.pk, "name": "Zero", "start_time": "06:00", "end_time": "14:00", "headcount": 0}
    assert error(api.post("/api/v1/shifts/", zero, format="json")) == (400, "invalid_headcount")
    again = {"site": site.pk, "name": "Night", "start_time": "21:00", "end_time": "05:00"}
    assert error(api.post("/api/v1/shifts/", again, format="json")) == (400, "duplicate_code")
    unknown = {"site": site.pk, "name": "Eve", "start_time": "14:00", "end_time": "22:00", "designation": 424242}
    assert error(api.post("/api/v1/shifts/", unknown, format="json")) == (400, "unknown_designation")
    assert [s["name"] for s in api.get("/api/v1/shifts/", {"site": site.pk}).json()["results"]] == ["Day", "Night"]


def test_location_parent_must_be_in_the_same_site(tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a_admin.tenant):
        one, two = f.site("ONE", of=acme), f.site("TWO", of=acme)
    api = tenant_a_admin.client()
    tower = api.post("/api/v1/locations/", {"site": one.pk, "code": "T1", "name": "Tower 1"}, format="json")
    assert tower.status_code == 201, tower.content
    floor = api.post(
        "/api/v1/locations/",
        {"site": one.pk, "code": "T1-F1", "name": "Floor 1", "parent": tower.json()["id"]},
        format="json",
    )
    assert (floor.status_code, floor.json()["parent"]) == (201, tower.json()["id"])
    elsewhere = {"site": two.pk, "code": "X", "name": "X", "parent": tower.json()["id"]}
    assert error(api.post("/api/v1/locations/", elsewhere, format="json")) == (400, "parent_in_other_site")
    cycle = api.patch(f"/api/v1/locations/{tower.json()['id']}/", {"parent": floor.json()["id"]}, format="json")
    assert error(cycle) == (400, "parent_cycle")
    with tenant_context(tenant_a_admin.tenant):
        assert sorted(Location.objects.values_list("code", "parent__code")) == [("T1", None), ("T1-F1", "T1")]


def test_site_group_keeps_member_order_and_replaces_members(tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a_admin.tenant):
        a, b, c = f.site("A", of=acme), f.site("B", of=acme), f.site("C", of=acme)
    api = tenant_a_admin.client()
    group = api.post(
        "/api/v1/site-groups/", {"code": "R1", "name": "Route 1", "sites": [c.pk, a.pk, b.pk]}, format="json"
    )
    assert (group.status_code, group.json()["sites"]) == (201, [c.pk, a.pk, b.pk])
    group_id = group.json()["id"]
    patched = api.patch(f"/api/v1/site-groups/{group_id}/", {"sites": [b.pk, c.pk]}, format="json")
    assert patched.json()["sites"] == [b.pk, c.pk]
    assert api.get(f"/api/v1/site-groups/{group_id}/").json()["sites"] == [b.pk, c.pk]
    twice = api.patch(f"/api/v1/site-groups/{group_id}/", {"sites": [b.pk, b.pk]}, format="json")
    assert error(twice) == (400, "duplicate_member")
    with tenant_context(tenant_a_admin.tenant):
        members = SiteGroupMember.objects.filter(group_id=group_id).order_by("position")
        assert [(m.site_id, m.position) for m in members] == [(b.pk, 0), (c.pk, 1)]


def test_site_assignments_create_list_and_delete(tenant_a_admin: Any, tenant_a_guard: Any, acme: Client) -> None:
    with tenant_context(tenant_a_admin.tenant):
        site = f.site("POST", of=acme)
    api = tenant_a_admin.client()
    body = {"person": tenant_a_guard.person.pk, "site": site.pk}
    created = api.post("/api/v1/site-assignments/", body, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["person"], created.json()["site"], created.json()["site_group"]) == (
        tenant_a_guard.person.pk,
        site.pk,
        None,
    )
    assert error(api.post("/api/v1/site-assignments/", body, format="json")) == (400, "duplicate_assignment")
    both = {"person": tenant_a_guard.person.pk}
    assert error(api.post("/api/v1/site-assignments/", both, format="json")) == (400, "assignment_target")
    unknown = {"person": 987654321, "site": site.pk}
    assert error(api.post("/api/v1/site-assignments/", unknown, format="json")) == (400, "unknown_person")
    assert api.delete(f"/api/v1/site-assignments/{created.json()['id']}/").status_code == 204
    with tenant_context(tenant_a_admin.tenant):
        assert SiteAssignment.objects.count() == 0


# --- Site scope ---------------------------------------------------------------------------


@pytest.fixture
def layout(tenant_a: Any) -> dict[str, Any]:
    """Two clients, five sites; a group holding ``grouped``."""
    with tenant_context(tenant_a):
        acme, globex = f.client("ACME"), f.client("GLOBEX")
        sites = {
            name: f.site(name.upper(), of=acme if name != "globex" else globex)
            for name in ("home", "direct", "grouped", "other", "globex")
        }
        group = services.create_site_group(code="G", name="Group", site_ids=[sites["grouped"].pk])
    return {**sites, "acme": acme, "globex_client": globex, "group": group}


def _codes(persona: Any, path: str = "/api/v1/sites/") -> list[str]:
    response = persona.client().get(path)
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_supervisor_sees_home_direct_and_group_sites_only(tenant_a_supervisor: Any, layout: dict[str, Any]) -> None:
    person = tenant_a_supervisor.person
    with tenant_context(tenant_a_supervisor.tenant):
        Person.objects.filter(pk=person.pk).update(home_site=layout["home"])
        services.create_site_assignment(person_id=person.pk, site_id=layout["direct"].pk)
        services.create_site_assignment(person_id=person.pk, site_group_id=layout["group"].pk)

    assert sorted(_codes(tenant_a_supervisor)) == ["DIRECT", "GROUPED", "HOME"]
    api = tenant_a_supervisor.client()
    other = api.get(f"/api/v1/sites/{layout['other'].pk}/")
    assert (other.status_code, other.json()["error"]["code"]) == (404, "not_found")
    assert api.get(f"/api/v1/sites/{layout['home'].pk}/").status_code == 200
    assert [row["code"] for row in api.get("/api/v1/clients/").json()["results"]] == ["ACME"]
    assert api.get(f"/api/v1/clients/{layout['globex_client'].pk}/").status_code == 404
    # Reading is not writing: a supervisor has sites.view, not sites.manage.
    denied = api.patch(f"/api/v1/sites/{layout['home'].pk}/", {"name": "Mine"}, format="json")
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    with tenant_context(tenant_a_supervisor.tenant):
        assert Site.objects.get(pk=layout["home"].pk).name == "Site HOME"


def test_supervisor_without_assignments_sees_nothing(tenant_a_supervisor: Any, layout: dict[str, Any]) -> None:
    assert _codes(tenant_a_supervisor) == []
    assert _codes(tenant_a_supervisor, "/api/v1/clients/") == []


def test_client_viewer_sees_only_its_clients_sites(tenant_a: Any, layout: dict[str, Any]) -> None:
    from conftest import make_persona

    viewer = make_persona(tenant_a, "client_viewer", login="globex-viewer")
    with tenant_context(tenant_a):
        Person.objects.filter(pk=viewer.person.pk).update(client=layout["globex_client"])
    assert _codes(viewer) == ["GLOBEX"]
    assert _codes(viewer, "/api/v1/clients/") == ["GLOBEX"]
    assert viewer.client().get(f"/api/v1/sites/{layout['home'].pk}/").status_code == 404


def test_client_viewer_without_client_sees_nothing(tenant_a_client: Any, layout: dict[str, Any]) -> None:
    assert _codes(tenant_a_client) == []


def test_guard_cannot_read_the_sites_api(tenant_a_guard: Any, layout: dict[str, Any]) -> None:
    response = tenant_a_guard.client().get("/api/v1/sites/")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")


def test_another_tenant_gets_nothing(tenant_b_admin: Any, layout: dict[str, Any]) -> None:
    assert _codes(tenant_b_admin) == []
    assert tenant_b_admin.client().get(f"/api/v1/sites/{layout['home'].pk}/").status_code == 404
    patched = tenant_b_admin.client().patch(f"/api/v1/sites/{layout['home'].pk}/", {"name": "X"}, format="json")
    assert patched.status_code == 404


def test_filters(tenant_a_admin: Any, layout: dict[str, Any]) -> None:
    api = tenant_a_admin.client()
    assert [r["code"] for r in api.get("/api/v1/sites/", {"client": layout["globex_client"].pk}).json()["results"]] == [
        "GLOBEX"
    ]
    assert [r["code"] for r in api.get("/api/v1/sites/", {"code": "home"}).json()["results"]] == ["HOME"]
    assert [r["code"] for r in api.get("/api/v1/sites/", {"site_group": layout["group"].pk}).json()["results"]] == [
        "GROUPED"
    ]
    with tenant_context(tenant_a_admin.tenant):
        services.deactivate_site(layout["other"])
    assert [r["code"] for r in api.get("/api/v1/sites/", {"is_active": "false"}).json()["results"]] == ["OTHER"]


def test_site_service_accepts_geos_from_other_callers(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        acme = f.client()
        site = services.create_site(
            client_id=acme.pk, code="GEOS", name="Geos", location=Point(1, 2, srid=4326), geofence=f.square(1, 2, 0.1)
        )
        assert site.geofence is not None
        assert (site.location.x, site.location.y, site.geofence.num_points) == (1.0, 2.0, 5)
