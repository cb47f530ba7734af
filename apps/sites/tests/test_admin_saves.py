"""The Django admin saves clients, sites, groups, shifts, areas and assignments through the services.

A valid form is saved with exactly its values; a form a service refuses comes back (200)
with the service's message on the field concerned, and nothing is written. "Delete"
deactivates, as the API's DELETE does.
"""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client as WebClient
from django.utils.html import escape

from apps.core.geo import to_geojson
from apps.core.tenancy import tenant_context
from apps.sites import services
from apps.sites.models import Client, Location, Shift, Site, SiteAssignment, SiteGroup

from . import factories as f

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [77.59, 12.97]}
SQUARE = {"type": "Polygon", "coordinates": [[[77.5, 12.9], [77.7, 12.9], [77.7, 13.1], [77.5, 13.1], [77.5, 12.9]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[77.5, 12.9], [77.7, 13.1], [77.7, 12.9], [77.5, 13.1], [77.5, 12.9]]]}


def signed_in(persona: Any) -> WebClient:
    browser = WebClient()
    response = browser.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return browser


def refused(response: Any) -> dict[str, list[str]]:
    """The errors of a form the admin sent back, after checking they are also on the page."""
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.errors
    assert errors, "the form was sent back without errors"
    for messages in errors.values():
        for message in messages:
            assert escape(message) in response.content.decode()
    return {field: list(messages) for field, messages in errors.items()}


def site_form(client: Client, **overrides: Any) -> dict[str, Any]:
    form = {
        "client": client.pk,
        "code": "BLR-01",
        "name": "Bangalore HQ",
        "address": "MG Road",
        "location": json.dumps(POINT),
        "geofence": json.dumps(SQUARE),
        "radius_m": 150,
        "timezone": "Asia/Kolkata",
        "in_charge": "",
        "options": '{"block_outside": true}',
        "is_active": "on",
    }
    return {**form, **overrides}


@pytest.fixture
def acme(tenant_a: Any) -> Client:
    with tenant_context(tenant_a):
        return f.client("ACME", name="Acme Corp")


# --- Clients ----------------------------------------------------------------------------------


def test_client_add_saves_through_the_service(tenant_a: Any, tenant_a_admin: Any) -> None:
    browser = signed_in(tenant_a_admin)
    form = {
        "code": "GLOBEX",
        "name": "Globex",
        "contract_start": "2026-01-01",
        "contract_end": "2025-12-31",
        "preferences": '{"language": "en"}',
        "is_active": "on",
    }

    assert refused(browser.post("/admin/sites/client/add/", form)) == {
        "contract_end": ["The contract cannot end before it starts. (contract_end_before_start)"]
    }
    with tenant_context(tenant_a):
        assert Client.objects.count() == 0

    added = browser.post("/admin/sites/client/add/", {**form, "contract_end": "2026-12-31"})
    assert added.status_code == 302, added.context and added.context["adminform"].form.errors
    with tenant_context(tenant_a):
        client = Client.objects.get()
    assert (
        client.code,
        client.name,
        client.contract_start,
        client.contract_end,
        client.preferences,
        client.is_active,
        client.created_by_id,
    ) == ("GLOBEX", "Globex", date(2026, 1, 1), date(2026, 12, 31), {"language": "en"}, True, tenant_a_admin.person.pk)


def test_client_duplicate_code_is_refused(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    browser = signed_in(tenant_a_admin)
    response = browser.post("/admin/sites/client/add/", {"code": "ACME", "name": "Other", "preferences": ""})
    assert refused(response) == {"code": ["Another row already has code 'ACME'. (duplicate_code)"]}
    with tenant_context(tenant_a):
        assert list(Client.objects.values_list("name", flat=True)) == ["Acme Corp"]


def test_unticking_active_deactivates_the_client_and_its_sites(
    tenant_a: Any, tenant_a_admin: Any, acme: Client
) -> None:
    with tenant_context(tenant_a):
        f.site("BLR-01", of=acme)
    browser = signed_in(tenant_a_admin)
    response = browser.post(f"/admin/sites/client/{acme.pk}/change/", {"code": "ACME", "name": "Acme Corp"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert (Client.objects.get().is_active, Site.objects.get().is_active) == (False, False)


def test_client_delete_page_deactivates_despite_protected_sites(
    tenant_a: Any, tenant_a_admin: Any, acme: Client
) -> None:
    with tenant_context(tenant_a):
        f.site("BLR-01", of=acme)
    browser = signed_in(tenant_a_admin)
    page = browser.get(f"/admin/sites/client/{acme.pk}/delete/")
    assert (page.context["title"], page.context["protected"]) == ("Deactivate client", [])

    assert browser.post(f"/admin/sites/client/{acme.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        assert (Client.objects.get().is_active, Site.objects.get().is_active) == (False, False)


# --- Sites ------------------------------------------------------------------------------------


def test_site_add_saves_exact_values(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    browser = signed_in(tenant_a_admin)
    added = browser.post("/admin/sites/site/add/", site_form(acme))
    assert added.status_code == 302, added.context and added.context["adminform"].form.errors
    with tenant_context(tenant_a):
        site = Site.objects.get()
    assert {
        "client": site.client_id,
        "code": site.code,
        "name": site.name,
        "address": site.address,
        "location": to_geojson(site.location),
        "geofence": to_geojson(site.geofence),
        "radius_m": site.radius_m,
        "timezone": site.timezone,
        "in_charge": site.in_charge_id,
        "options": site.options,
        "is_active": site.is_active,
        "created_by": site.created_by_id,
    } == {
        "client": acme.pk,
        "code": "BLR-01",
        "name": "Bangalore HQ",
        "address": "MG Road",
        "location": POINT,
        "geofence": SQUARE,
        "radius_m": 150,
        "timezone": "Asia/Kolkata",
        "in_charge": None,
        "options": {"block_outside": True},
        "is_active": True,
        "created_by": tenant_a_admin.person.pk,
    }


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"geofence": json.dumps(BOWTIE)},
            {"geofence": ["The polygon is not valid: Self-intersection[77.6 13]."]},
        ),
        (
            {"geofence": "POLYGON((77.5 12.9, 77.7 13.1, 77.7 12.9, 77.5 13.1, 77.5 12.9))"},
            {"geofence": ["The polygon is not valid: Self-intersection[77.6 13]."]},
        ),
        ({"location": "POINT(200 12.9)"}, {"location": ["Longitude 200.0 is outside -180..180."]}),
        ({"location": json.dumps(SQUARE)}, {"location": ["Expected a Point, got 'Polygon'."]}),
        ({"code": "TAKEN"}, {"code": ["Another row already has code 'TAKEN'. (duplicate_code)"]}),
        (
            {"timezone": "Mars/Olympus"},
            {"timezone": ["'Mars/Olympus' is not a known time zone (for example Asia/Kolkata). (unknown_timezone)"]},
        ),
    ],
    ids=["self-intersecting-geojson", "self-intersecting-wkt", "longitude", "not-a-point", "duplicate", "timezone"],
)
def test_site_add_refused_writes_nothing(
    tenant_a: Any, tenant_a_admin: Any, acme: Client, overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with tenant_context(tenant_a):
        f.site("TAKEN", of=acme)
    browser = signed_in(tenant_a_admin)
    assert refused(browser.post("/admin/sites/site/add/", site_form(acme, **overrides))) == errors
    with tenant_context(tenant_a):
        assert list(Site.objects.values_list("code", flat=True)) == ["TAKEN"]


def test_site_of_another_tenants_client_is_refused(tenant_a: Any, tenant_a_admin: Any, tenant_b: Any) -> None:
    with tenant_context(tenant_b):
        foreign = f.client("BRAVO-CO")
    browser = signed_in(tenant_a_admin)
    assert refused(browser.post("/admin/sites/site/add/", site_form(foreign))) == {
        "client": ["Select a valid choice. That choice is not one of the available choices."]
    }
    with tenant_context(tenant_a):
        assert Site.objects.count() == 0
    with tenant_context(tenant_b):
        assert Site.objects.count() == 0


def test_site_geofence_must_hold_its_location(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    browser = signed_in(tenant_a_admin)
    response = browser.post("/admin/sites/site/add/", site_form(acme, location="POINT(10 10)"))
    assert list(refused(response)) == ["geofence"]
    assert "location_outside_geofence" in str(refused(response)["geofence"])
    with tenant_context(tenant_a):
        assert Site.objects.count() == 0


def test_site_change_takes_wkt_and_refusal_keeps_the_row(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        site = f.site("BLR-01", of=acme, name="Old name")
    browser = signed_in(tenant_a_admin)

    bad = site_form(acme, name="New name", geofence=json.dumps(BOWTIE))
    assert list(refused(browser.post(f"/admin/sites/site/{site.pk}/change/", bad))) == ["geofence"]
    with tenant_context(tenant_a):
        kept = Site.objects.get()
    assert (kept.name, kept.geofence, kept.version) == ("Old name", None, site.version)

    good = site_form(acme, name="New name", location="POINT(77.6 12.95)", geofence="")
    assert browser.post(f"/admin/sites/site/{site.pk}/change/", good).status_code == 302
    with tenant_context(tenant_a):
        saved = Site.objects.get()
    assert (saved.name, saved.location.coords, saved.geofence, saved.modified_by_id) == (
        "New name",
        (77.6, 12.95),
        None,
        tenant_a_admin.person.pk,
    )


def test_site_delete_deactivates_and_keeps_its_shifts(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        site = f.site("BLR-01", of=acme)
        services.create_shift(site_id=site.pk, name="Night", start_time=time(22), end_time=time(6))
    browser = signed_in(tenant_a_admin)

    page = browser.get(f"/admin/sites/site/{site.pk}/delete/")
    assert page.context["deleted_objects"] == [
        f"Site: {site} (deactivated; it is not deleted, nor is anything that refers to it)"
    ]
    assert browser.post(f"/admin/sites/site/{site.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        assert (Site.objects.get().is_active, Shift.objects.get().is_active) == (False, True)
        logged = list(LogEntry.objects.values_list("object_id", "action_flag", "change_message"))
    assert logged == [(str(site.pk), CHANGE, "Deactivated instead of deleted.")]


def test_site_bulk_action_deactivates(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        one, _, three = (f.site(code, of=acme) for code in ("S-1", "S-2", "S-3"))
    browser = signed_in(tenant_a_admin)
    response = browser.post(
        "/admin/sites/site/", {"action": "deactivate_selected", "_selected_action": [one.pk, three.pk]}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert dict(Site.objects.values_list("code", "is_active")) == {"S-1": False, "S-2": True, "S-3": False}


# --- Site groups, shifts, areas -----------------------------------------------------------------


def test_site_group_members_are_saved_in_the_order_given(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        north, south = f.site("NORTH", of=acme), f.site("SOUTH", of=acme)
    browser = signed_in(tenant_a_admin)
    form = {"code": "ROUTE-1", "name": "Night route", "is_active": "on"}

    assert refused(browser.post("/admin/sites/sitegroup/add/", {**form, "member_sites": "SOUTH NOWHERE"})) == {
        "member_sites": ["No site with code 'NOWHERE'."]
    }
    assert refused(browser.post("/admin/sites/sitegroup/add/", {**form, "member_sites": "SOUTH, SOUTH"})) == {
        "member_sites": ["A site appears twice in the group. (duplicate_member)"]
    }
    with tenant_context(tenant_a):
        assert SiteGroup.objects.count() == 0

    added = browser.post("/admin/sites/sitegroup/add/", {**form, "member_sites": "SOUTH,\nNORTH"})
    assert added.status_code == 302
    with tenant_context(tenant_a):
        group = SiteGroup.objects.get()
        members = list(group.members.order_by("position").values_list("site_id", "position"))
    assert (group.code, group.name, group.is_active, members) == (
        "ROUTE-1",
        "Night route",
        True,
        [(south.pk, 0), (north.pk, 1)],
    )
    page = browser.get(f"/admin/sites/sitegroup/{group.pk}/change/")
    assert page.context["adminform"].form.initial["member_sites"] == "SOUTH\nNORTH"


def test_shift_rules_come_from_the_service(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        site = f.site("BLR-01", of=acme)
    browser = signed_in(tenant_a_admin)
    form = {"site": site.pk, "name": "Night", "start_time": "22:00", "end_time": "06:00", "headcount": 2}

    assert refused(browser.post("/admin/sites/shift/add/", {**form, "end_time": "22:00"})) == {
        "end_time": ["A shift cannot start and end at the same time. (empty_shift)"]
    }
    assert refused(browser.post("/admin/sites/shift/add/", {**form, "headcount": 0})) == {
        "headcount": ["A shift needs at least one person. (invalid_headcount)"]
    }
    with tenant_context(tenant_a):
        assert Shift.objects.count() == 0

    assert browser.post("/admin/sites/shift/add/", {**form, "is_active": "on"}).status_code == 302
    with tenant_context(tenant_a):
        shift = Shift.objects.get()
    assert (shift.site_id, shift.name, shift.start_time, shift.end_time, shift.headcount, shift.overnight) == (
        site.pk,
        "Night",
        time(22),
        time(6),
        2,
        True,
    )


def test_area_parent_must_be_in_the_same_site(tenant_a: Any, tenant_a_admin: Any, acme: Client) -> None:
    with tenant_context(tenant_a):
        north, south = f.site("NORTH", of=acme), f.site("SOUTH", of=acme)
        dock = services.create_location(site_id=south.pk, code="DOCK", name="Dock")
        tower = services.create_location(site_id=north.pk, code="TOWER", name="Tower")
    browser = signed_in(tenant_a_admin)
    form = {"site": north.pk, "code": "FLOOR-1", "name": "First floor", "is_active": "on"}

    assert refused(browser.post("/admin/sites/location/add/", {**form, "parent": dock.pk})) == {
        "parent": ["The parent area is in another site. (parent_in_other_site)"]
    }
    with tenant_context(tenant_a):
        assert sorted(Location.objects.values_list("code", flat=True)) == ["DOCK", "TOWER"]

    assert browser.post("/admin/sites/location/add/", {**form, "parent": tower.pk}).status_code == 302
    with tenant_context(tenant_a):
        floor = Location.objects.get(code="FLOOR-1")
    assert (floor.site_id, floor.parent_id, floor.name, floor.is_active) == (north.pk, tower.pk, "First floor", True)


# --- Site assignments ---------------------------------------------------------------------------


def test_site_assignments_are_added_through_the_service_and_deleted(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_guard: Any, acme: Client
) -> None:
    with tenant_context(tenant_a):
        site = f.site("BLR-01", of=acme)
        group = services.create_site_group(code="ROUTE-1", name="Route", site_ids=[site.pk])
    browser = signed_in(tenant_a_admin)
    person = tenant_a_guard.person.pk

    both = {"person": person, "site": site.pk, "site_group": group.pk}
    assert refused(browser.post("/admin/sites/siteassignment/add/", both)) == {
        "__all__": ["Assign either a site or a site group. (assignment_target)"]
    }
    added = browser.post("/admin/sites/siteassignment/add/", {"person": person, "site": site.pk, "site_group": ""})
    assert added.status_code == 302
    again = browser.post("/admin/sites/siteassignment/add/", {"person": person, "site": site.pk, "site_group": ""})
    assert refused(again) == {"__all__": ["The person is already assigned there. (duplicate_assignment)"]}
    with tenant_context(tenant_a):
        assignment = SiteAssignment.objects.get()
    assert (assignment.person_id, assignment.site_id, assignment.site_group_id) == (person, site.pk, None)

    change = f"/admin/sites/siteassignment/{assignment.pk}/change/"
    assert browser.post(change, {"person": person, "site": "", "site_group": group.pk}).status_code == 403
    assert browser.post(f"/admin/sites/siteassignment/{assignment.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        assert SiteAssignment.objects.count() == 0


def test_add_change_and_list_pages_render(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_guard: Any, acme: Client
) -> None:
    with tenant_context(tenant_a):
        site = f.site("BLR-01", of=acme, geofence=f.square(77.59, 12.97, 0.01))
        rows = {
            "client": acme,
            "site": site,
            "sitegroup": services.create_site_group(code="ROUTE-1", name="Route", site_ids=[site.pk]),
            "shift": services.create_shift(site_id=site.pk, name="Night", start_time=time(22), end_time=time(6)),
            "location": services.create_location(site_id=site.pk, code="LOBBY", name="Lobby"),
            "siteassignment": services.create_site_assignment(person_id=tenant_a_guard.person.pk, site_id=site.pk),
        }
    browser = signed_in(tenant_a_admin)
    for name, row in rows.items():
        for page in ("", "add/", f"{row.pk}/change/", f"{row.pk}/delete/"):
            assert browser.get(f"/admin/sites/{name}/{page}").status_code == 200, (name, page)
    location = browser.get(f"/admin/sites/site/{site.pk}/change/").context["adminform"].form["location"].value()
    assert json.loads(location) == {"type": "Point", "coordinates": [77.59, 12.97]}
