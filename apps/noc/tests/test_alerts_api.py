"""/api/v1/alerts/ as the console and the dashboard call it: scoped lists and filters, the
detail with its timeline, and the actions with their errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.noc.models import Alert, AlertEvent
from apps.people.models import Person, Role
from apps.people.services import create_person
from conftest import Persona, make_persona

from .factories import make_window, raise_test_alert

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/alerts/"


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
def alerts(tenant_a: Any, world: Any) -> dict[str, Alert]:
    with tenant_context(tenant_a):
        return {
            "sos": raise_test_alert(world.north, type="SOS", severity="CRITICAL", title="SOS at the gate"),
            "tour": raise_test_alert(world.north, type="TOUR_MISSED", severity="MEDIUM", title="Tour missed"),
            "fence": raise_test_alert(world.south, type="GEOFENCE_BREACH", severity="HIGH", title="Fence"),
            "offline": raise_test_alert(None, type="DEVICE_OFFLINE", severity="LOW", title="Tracker offline"),
        }


@pytest.fixture
def north_guard(tenant_a: Any, world: Any) -> Persona:
    return make_persona(tenant_a, "guard", login="northguard", home_site_id=world.north.pk)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


# --- reading ----------------------------------------------------------------------------------


def test_a_list_item_has_every_field(tenant_a_supervisor: Persona, alerts: dict[str, Alert], world: Any) -> None:
    alert = alerts["sos"]
    response = tenant_a_supervisor.client().get(ALERTS, {"type": "SOS"})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert body["results"] == [
        {
            "id": alert.pk,
            "uuid": str(alert.uuid),
            "type": "SOS",
            "severity": "CRITICAL",
            "status": "NEW",
            "title": "SOS at the gate",
            "site_id": world.north.pk,
            "site_code": "NORTH",
            "site_name": "North Gate",
            "details": {},
            "source": None,
            "dedupe_key": alert.dedupe_key,
            "occurrences": 1,
            "first_seen_at": iso(alert.first_seen_at),
            "last_seen_at": iso(alert.last_seen_at),
            "escalation_level": 0,
            "escalate_at": iso(alert.first_seen_at + timedelta(minutes=5)),
            "acknowledged_at": None,
            "acknowledged_by": None,
            "assigned_to": None,
            "assigned_at": None,
            "resolved_at": None,
            "resolved_by": None,
            "resolution_note": "",
            "created_at": iso(alert.created_at),
            "modified_at": iso(alert.modified_at),
            "url": f"/noc/alerts/{alert.pk}/",
        }
    ]


def test_supervisors_see_their_sites_and_admins_everything(
    tenant_a_admin: Persona, tenant_a_supervisor: Persona, alerts: dict[str, Alert]
) -> None:
    newest_first = [alerts[key].pk for key in ("offline", "fence", "tour", "sos")]
    assert ids(tenant_a_admin.client().get(ALERTS)) == newest_first
    assert ids(tenant_a_supervisor.client().get(ALERTS)) == [alerts["tour"].pk, alerts["sos"].pk]
    for key in ("fence", "offline"):
        response = tenant_a_supervisor.client().get(f"{ALERTS}{alerts[key].pk}/")
        assert error(response) == (404, "not_found")


def test_filters(tenant_a_admin: Persona, tenant_a: Any, alerts: dict[str, Alert], world: Any) -> None:
    client = tenant_a_admin.client()
    with tenant_context(tenant_a):
        Alert.objects.filter(pk=alerts["tour"].pk).update(status="RESOLVED")
        Alert.objects.filter(pk=alerts["sos"].pk).update(first_seen_at=timezone.now() - timedelta(days=2))
    sos, tour, fence, offline = (alerts[key].pk for key in ("sos", "tour", "fence", "offline"))
    assert ids(client.get(ALERTS, {"status": "RESOLVED"})) == [tour]
    assert ids(client.get(ALERTS, {"status": ["NEW", "RESOLVED"], "site": world.north.pk})) == [tour, sos]
    assert ids(client.get(ALERTS, {"open": "true"})) == [offline, fence, sos]
    assert ids(client.get(ALERTS, {"open": "false"})) == [tour]
    assert ids(client.get(ALERTS, {"type": ["GEOFENCE_BREACH", "DEVICE_OFFLINE"]})) == [offline, fence]
    assert ids(client.get(ALERTS, {"severity": ["CRITICAL", "HIGH"]})) == [fence, sos]
    yesterday = iso(timezone.now() - timedelta(days=1))
    assert ids(client.get(ALERTS, {"created_before": yesterday})) == [sos]
    assert ids(client.get(ALERTS, {"created_after": yesterday, "site": world.north.pk})) == [tour]
    response = client.get(ALERTS, {"severity": "URGENT"})
    assert error(response) == (400, "invalid")
    assert "severity" in response.json()["error"]["details"]["fields"]


def test_the_list_costs_the_same_queries_for_more_alerts(
    tenant_a_supervisor: Persona, tenant_a: Any, tenant_a_admin: Persona, world: Any
) -> None:
    from apps.noc import services

    client = tenant_a_supervisor.client()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ALERTS)
        assert response.status_code == 200
        return len(queries)

    client.get(ALERTS)  # the first request of a sign-in caches what it checks

    with tenant_context(tenant_a):
        first = raise_test_alert(world.north)
        services.acknowledge_alert(tenant_a_admin.person, first)
    few = count()
    with tenant_context(tenant_a):
        for _ in range(5):
            alert = raise_test_alert(world.north)
            services.resolve_alert(tenant_a_admin.person, alert, note="done")
    assert count() == few
    assert len(client.get(ALERTS).json()["results"]) == 6


def test_the_detail_carries_the_timeline(
    tenant_a_supervisor: Persona, tenant_a_admin: Persona, alerts: dict[str, Alert], tenant_a: Any
) -> None:
    from apps.noc import services

    alert = alerts["tour"]
    with tenant_context(tenant_a):
        services.acknowledge_alert(tenant_a_admin.person, alert, note="Checking")
        events = list(AlertEvent.objects.filter(alert=alert).order_by("at", "pk"))
    response = tenant_a_supervisor.client().get(f"{ALERTS}{alert.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["acknowledged_by"]) == (
        "ACKNOWLEDGED",
        {"id": tenant_a_admin.person.pk, "name": "Admin"},
    )
    assert body["timeline"] == [
        {
            "id": events[0].pk,
            "kind": "CREATED",
            "at": iso(events[0].at),
            "actor": None,
            "note": "",
            "from_status": "",
            "to_status": "NEW",
            "data": {},
        },
        {
            "id": events[1].pk,
            "kind": "ACKNOWLEDGED",
            "at": iso(events[1].at),
            "actor": {"id": tenant_a_admin.person.pk, "name": "Admin"},
            "note": "Checking",
            "from_status": "NEW",
            "to_status": "ACKNOWLEDGED",
            "data": {},
        },
    ]


def test_suppressed_alerts_are_listed_on_request(tenant_a_admin: Persona, tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        make_window(world.south)
        quiet = raise_test_alert(world.south)
    assert ids(tenant_a_admin.client().get(ALERTS, {"status": "SUPPRESSED"})) == [quiet.pk]


def test_reading_needs_noc_view(
    tenant_a_guard: Persona, tenant_a_client: Persona, api: Any, alerts: dict[str, Alert]
) -> None:
    for persona in (tenant_a_guard, tenant_a_client):
        assert error(persona.client().get(ALERTS)) == (403, "permission_denied")
        assert error(persona.client().get(f"{ALERTS}{alerts['sos'].pk}/")) == (403, "permission_denied")
    assert error(api.get(ALERTS)) == (401, "not_authenticated")


# --- acting -----------------------------------------------------------------------------------


def post(persona: Persona, alert: Alert, action: str, body: dict[str, Any] | None = None) -> Any:
    return persona.client().post(f"{ALERTS}{alert.pk}/{action}/", body or {}, format="json")


def state(tenant: Any, alert: Alert) -> tuple[Any, ...]:
    with tenant_context(tenant):
        row = Alert.objects.get(pk=alert.pk)
        return row.status, row.assigned_to_id, row.resolution_note, row.events.count()


def test_acknowledge_then_assign_then_resolve(
    tenant_a_supervisor: Persona, north_guard: Persona, alerts: dict[str, Alert]
) -> None:
    alert = alerts["sos"]
    supervisor = {"id": tenant_a_supervisor.person.pk, "name": "Supervisor"}

    response = post(tenant_a_supervisor, alert, "acknowledge", {"note": "Seen"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["escalate_at"]) == ("ACKNOWLEDGED", supervisor, None)
    assert [(e["kind"], e["note"], e["actor"]) for e in body["timeline"]] == [
        ("CREATED", "", None),
        ("ACKNOWLEDGED", "Seen", supervisor),
    ]

    response = post(tenant_a_supervisor, alert, "assign", {"person": north_guard.person.pk, "note": "Go check"})
    assert response.status_code == 200
    body = response.json()
    guard = {"id": north_guard.person.pk, "name": "Northguard"}
    assert (body["status"], body["assigned_to"]) == ("ASSIGNED", guard)
    assert body["timeline"][-1] == {
        **body["timeline"][-1],
        "kind": "ASSIGNED",
        "from_status": "ACKNOWLEDGED",
        "to_status": "ASSIGNED",
        "note": "Go check",
        "data": {"assigned_to": guard},
    }

    response = post(tenant_a_supervisor, alert, "resolve", {"note": "Guard pressed it by mistake"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["resolved_by"], body["resolution_note"]) == (
        "RESOLVED",
        supervisor,
        "Guard pressed it by mistake",
    )
    assert [e["kind"] for e in body["timeline"]] == ["CREATED", "ACKNOWLEDGED", "ASSIGNED", "RESOLVED"]

    response = post(tenant_a_supervisor, alert, "comment", {"note": "Retrained the guard"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["timeline"][-1]["kind"]) == ("RESOLVED", "COMMENTED")


def test_assigning_acknowledges_an_unacknowledged_alert(
    tenant_a_admin: Persona, north_guard: Persona, alerts: dict[str, Alert]
) -> None:
    body = post(tenant_a_admin, alerts["sos"], "assign", {"person": north_guard.person.pk}).json()
    assert (body["status"], body["acknowledged_by"]["id"], body["escalate_at"]) == (
        "ASSIGNED",
        tenant_a_admin.person.pk,
        None,
    )


@pytest.mark.parametrize(
    ("setup", "action", "body"),
    [
        (["resolve"], "resolve", {"note": "again"}),
        (["acknowledge"], "acknowledge", {}),
        (["resolve"], "acknowledge", {}),
        (["resolve"], "assign", "guard"),
        (["assign"], "assign", "guard"),
        (["assign"], "acknowledge", {}),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(
    tenant_a_admin: Persona,
    tenant_a: Any,
    north_guard: Persona,
    alerts: dict[str, Alert],
    setup: Any,
    action: str,
    body: Any,
) -> None:
    alert = alerts["sos"]
    assign = {"person": north_guard.person.pk}
    for step in setup:
        assert post(tenant_a_admin, alert, step, assign if step == "assign" else {"note": "n"}).status_code == 200
    before = state(tenant_a, alert)
    response = post(tenant_a_admin, alert, action, assign if body == "guard" else body)
    assert error(response) == (409, "invalid_transition")
    assert response.json()["error"]["details"] == {"status": before[0], "action": action}
    assert state(tenant_a, alert) == before


def test_notes_are_limited_and_resolving_needs_one(
    tenant_a_admin: Persona, tenant_a: Any, alerts: dict[str, Alert]
) -> None:
    alert = alerts["sos"]
    before = state(tenant_a, alert)
    response = post(tenant_a_admin, alert, "acknowledge", {"note": "x" * 2001})
    assert error(response) == (400, "note_too_long")
    assert response.json()["error"]["details"] == {"field": "note", "max_length": 2000, "length": 2001}
    assert error(post(tenant_a_admin, alert, "resolve", {"note": "   "})) == (400, "note_required")
    assert error(post(tenant_a_admin, alert, "resolve", {})) == (400, "note_required")
    response = post(tenant_a_admin, alert, "comment", {"note": "bad\x00note"})
    assert error(response) == (400, "invalid_characters")
    assert response.json()["error"]["details"] == {"path": "$.note", "character": "U+0000"}
    assert state(tenant_a, alert) == before
    assert post(tenant_a_admin, alert, "resolve", {"note": "y" * 2000}).status_code == 200


def test_assigning_to_someone_who_may_not_see_the_site_is_refused(
    tenant_a_admin: Persona,
    tenant_a_supervisor: Persona,
    tenant_a: Any,
    tenant_b_guard: Persona,
    alerts: dict[str, Alert],
    world: Any,
) -> None:
    alert = alerts["sos"]  # at north
    south_guard = make_persona(tenant_a, "guard", login="southguard", home_site_id=world.south.pk)
    viewer = make_persona(tenant_a, "client_viewer", login="viewer", home_site_id=world.north.pk)
    with tenant_context(tenant_a):
        gone = create_person(login="gone", name="Gone", password=None, roles=["guard"], home_site_id=world.north.pk)
        Person.objects.filter(pk=gone.pk).update(is_active=False)
    before = state(tenant_a, alert)
    cases = [
        (tenant_a_admin, south_guard.person.pk, "assignee_cannot_see_site"),
        (tenant_a_admin, viewer.person.pk, "assignee_cannot_respond"),  # a client's viewer
        (tenant_a_admin, tenant_b_guard.person.pk, "unknown_assignee"),  # another tenant: nobody
        (tenant_a_admin, gone.pk, "unknown_assignee"),
        (tenant_a_admin, 10**12, "unknown_assignee"),
        (tenant_a_supervisor, south_guard.person.pk, "unknown_assignee"),  # not among the people they may see
    ]
    for persona, person_id, code in cases:
        response = post(persona, alert, "assign", {"person": person_id})
        assert error(response) == (400, code), (person_id, response.content)
        assert response.json()["error"]["details"] == {"field": "assignee"}
    assert error(post(tenant_a_admin, alert, "assign", {"person": "abc"})) == (400, "invalid")
    assert state(tenant_a, alert) == before
    # An alert without a site only goes to someone who sees every site.
    assert error(post(tenant_a_admin, alerts["offline"], "assign", {"person": south_guard.person.pk})) == (
        400,
        "assignee_cannot_see_site",
    )
    assert post(tenant_a_admin, alerts["offline"], "assign", {"person": tenant_a_admin.person.pk}).status_code == 200


def test_acting_needs_noc_manage_and_the_site(
    tenant_a: Any, tenant_a_supervisor: Persona, tenant_b_admin: Persona, alerts: dict[str, Alert], world: Any
) -> None:
    with tenant_context(tenant_a):
        role = Role.objects.create(code="noc-viewer", name="NOC viewer", capabilities=["noc.view"])
    viewer = make_persona(tenant_a, "guard", login="viewer", home_site_id=world.north.pk)
    with tenant_context(tenant_a):
        viewer.person.roles.set([role])
    alert = alerts["sos"]
    before = state(tenant_a, alert)
    assert viewer.client().get(f"{ALERTS}{alert.pk}/").status_code == 200
    for action in ("acknowledge", "resolve", "comment"):
        assert error(post(viewer, alert, action, {"note": "n"})) == (403, "permission_denied")
        assert error(post(tenant_b_admin, alert, action, {"note": "n"})) == (404, "not_found")
    assert error(post(tenant_a_supervisor, alerts["fence"], "acknowledge")) == (404, "not_found")
    assert state(tenant_a, alert) == before
