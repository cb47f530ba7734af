"""Alerts and maintenance windows over GraphQL: the REST filters and scope, the actions
with coded errors, and a fixed number of queries for a page with timelines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.noc import services
from apps.noc.models import Alert, MaintenanceWindow
from conftest import Persona, make_persona

from .factories import make_window, raise_test_alert

pytestmark = pytest.mark.django_db

ALERTS = """
query Alerts($status: [AlertStatus!], $siteId: ID, $type: [AlertTypeEnum!], $severity: [AlertSeverity!],
             $open: Boolean, $createdAfter: DateTime, $first: Int) {
  alerts(status: $status, siteId: $siteId, type: $type, severity: $severity, open: $open,
         createdAfter: $createdAfter, first: $first) {
    id type severity status title siteId siteCode siteName occurrences escalationLevel url
    acknowledgedBy { id name }
    timeline { kind actor { id name } note fromStatus toStatus data }
  }
}
"""
ALERT = "query One($id: ID!) { alert(id: $id) { id status details source { type id } timeline { kind note } } }"
ACK = "mutation Ack($id: ID!, $note: String) { acknowledgeAlert(id: $id, note: $note) { alert { id status timeline { kind note } } } }"
ASSIGN = """
mutation Assign($id: ID!, $personId: ID!) { assignAlert(id: $id, personId: $personId) { alert { status assignedTo { id name } } } }
"""
RESOLVE = "mutation Resolve($id: ID!, $note: String!) { resolveAlert(id: $id, note: $note) { alert { status resolutionNote } } }"
COMMENT = "mutation Comment($id: ID!, $note: String!) { commentAlert(id: $id, note: $note) { alert { timeline { kind note } } } }"
WINDOWS = "query W($siteId: ID, $activeAt: DateTime) { maintenanceWindows(siteId: $siteId, activeAt: $activeAt) { id siteCode reason } }"
CREATE_WINDOW = """
mutation Create($input: MaintenanceWindowInput!) {
  createMaintenanceWindow(input: $input) { maintenanceWindow { id siteId siteCode startsAt endsAt reason createdById } }
}
"""
UPDATE_WINDOW = """
mutation Update($id: ID!, $input: MaintenanceWindowInput!) {
  updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id reason } }
}
"""
DELETE_WINDOW = "mutation Delete($id: ID!) { deleteMaintenanceWindow(id: $id) { deletedId } }"


def gql(persona: Persona, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes_of(body: Any) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.fixture
def alerts(tenant_a: Any, world: Any) -> dict[str, Alert]:
    with tenant_context(tenant_a):
        return {
            "sos": raise_test_alert(world.north, type="SOS", severity="CRITICAL", title="SOS", details={"lat": 18.9}),
            "tour": raise_test_alert(world.north, type="TOUR_MISSED", severity="MEDIUM", title="Tour missed"),
            "fence": raise_test_alert(world.south, type="GEOFENCE_BREACH", severity="HIGH", title="Fence"),
        }


def test_the_alert_list_is_typed_filtered_and_scoped(
    tenant_a_supervisor: Persona, tenant_a_admin: Persona, alerts: dict[str, Alert], world: Any
) -> None:
    body = gql(tenant_a_supervisor, ALERTS, {"severity": ["CRITICAL", "HIGH"]})
    sos = alerts["sos"]
    assert body == {
        "data": {
            "alerts": [
                {
                    "id": str(sos.pk),
                    "type": "SOS",
                    "severity": "CRITICAL",
                    "status": "NEW",
                    "title": "SOS",
                    "siteId": str(world.north.pk),
                    "siteCode": "NORTH",
                    "siteName": "North Gate",
                    "occurrences": 1,
                    "escalationLevel": 0,
                    "url": f"/noc/alerts/{sos.pk}/",
                    "acknowledgedBy": None,
                    "timeline": [
                        {"kind": "CREATED", "actor": None, "note": "", "fromStatus": "", "toStatus": "NEW", "data": {}}
                    ],
                }
            ]
        }
    }

    def ids(persona: Persona, **variables: Any) -> list[str]:
        result = gql(persona, ALERTS, variables)
        assert "errors" not in result, result
        return [row["id"] for row in result["data"]["alerts"]]

    sos_id, tour_id, fence_id = (str(alerts[key].pk) for key in ("sos", "tour", "fence"))
    assert ids(tenant_a_admin) == [fence_id, tour_id, sos_id]
    assert ids(tenant_a_admin, siteId=str(world.south.pk)) == [fence_id]
    assert ids(tenant_a_admin, type=["SOS", "TOUR_MISSED"]) == [tour_id, sos_id]
    assert ids(tenant_a_admin, status=["NEW"], open=True, first=1) == [fence_id]
    assert ids(tenant_a_admin, createdAfter=(timezone.now() + timedelta(minutes=1)).isoformat()) == []
    # A page over the cap is refused before anything runs (HTTP 400), with the resolvers' code.
    too_long = post_graphql(Client(), ALERTS, {"first": 501}, token=tenant_a_admin.tokens().access)
    assert too_long.status_code == 400
    assert codes_of(too_long.json()) == ["invalid_page"]


def test_one_alert_with_its_timeline_or_null(
    tenant_a_supervisor: Persona, tenant_b_admin: Persona, tenant_a: Any, alerts: dict[str, Alert], world: Any
) -> None:
    with tenant_context(tenant_a):
        sourced = raise_test_alert(world.north, source=world.in_charge)
    body = gql(tenant_a_supervisor, ALERT, {"id": str(sourced.pk)})
    assert body["data"]["alert"] == {
        "id": str(sourced.pk),
        "status": "NEW",
        "details": {},
        "source": {"type": "people.person", "id": str(world.in_charge.pk)},
        "timeline": [{"kind": "CREATED", "note": ""}],
    }
    assert gql(tenant_a_supervisor, ALERT, {"id": str(alerts["sos"].pk)})["data"]["alert"]["details"] == {"lat": 18.9}
    for persona, alert_id in (
        (tenant_a_supervisor, str(alerts["fence"].pk)),  # another site
        (tenant_b_admin, str(alerts["sos"].pk)),  # another tenant
        (tenant_a_supervisor, "not-a-number"),
    ):
        assert gql(persona, ALERT, {"id": alert_id}) == {"data": {"alert": None}}


def test_actions_and_their_errors(
    tenant_a_supervisor: Persona, tenant_a: Any, tenant_b_admin: Persona, alerts: dict[str, Alert], world: Any
) -> None:
    alert_id = str(alerts["sos"].pk)
    body = gql(tenant_a_supervisor, ACK, {"id": alert_id, "note": "Seen"})
    assert body["data"]["acknowledgeAlert"]["alert"] == {
        "id": alert_id,
        "status": "ACKNOWLEDGED",
        "timeline": [{"kind": "CREATED", "note": ""}, {"kind": "ACKNOWLEDGED", "note": "Seen"}],
    }
    body = gql(tenant_a_supervisor, ACK, {"id": alert_id})
    assert codes_of(body) == ["invalid_transition"]
    assert body["errors"][0]["extensions"]["details"] == {"status": "ACKNOWLEDGED", "action": "acknowledge"}

    guard = make_persona(tenant_a, "guard", login="northguard", home_site_id=world.north.pk)
    assert codes_of(gql(tenant_a_supervisor, ASSIGN, {"id": alert_id, "personId": str(tenant_b_admin.person.pk)})) == [
        "unknown_assignee"
    ]
    assert codes_of(gql(tenant_a_supervisor, ASSIGN, {"id": alert_id, "personId": "99999999999999999999999"})) == [
        "unknown_assignee"
    ]
    body = gql(tenant_a_supervisor, ASSIGN, {"id": alert_id, "personId": str(guard.person.pk)})
    assert body["data"]["assignAlert"]["alert"] == {
        "status": "ASSIGNED",
        "assignedTo": {"id": str(guard.person.pk), "name": "Northguard"},
    }

    assert codes_of(gql(tenant_a_supervisor, RESOLVE, {"id": alert_id, "note": "n" * 2001})) == ["note_too_long"]
    # NUL in a variable is refused with the request, before the mutation runs.
    refused = post_graphql(
        Client(), COMMENT, {"id": alert_id, "note": "bad\x00"}, token=tenant_a_supervisor.tokens().access
    )
    assert (refused.status_code, codes_of(refused.json())) == (400, ["invalid_characters"])
    with tenant_context(tenant_a):
        assert Alert.objects.get(pk=alert_id).status == "ASSIGNED"
    body = gql(tenant_a_supervisor, RESOLVE, {"id": alert_id, "note": "Handled"})
    assert body["data"]["resolveAlert"]["alert"] == {"status": "RESOLVED", "resolutionNote": "Handled"}
    body = gql(tenant_a_supervisor, COMMENT, {"id": alert_id, "note": "Closed out"})
    assert body["data"]["commentAlert"]["alert"]["timeline"][-1] == {"kind": "COMMENTED", "note": "Closed out"}

    assert codes_of(gql(tenant_a_supervisor, ACK, {"id": str(alerts["fence"].pk)})) == ["not_found"]
    assert codes_of(gql(tenant_b_admin, ACK, {"id": str(alerts["tour"].pk)})) == ["not_found"]


def test_reading_and_acting_need_their_capabilities(
    tenant_a_guard: Persona, tenant_a_client: Persona, alerts: dict[str, Alert]
) -> None:
    for persona in (tenant_a_guard, tenant_a_client):
        assert codes_of(gql(persona, ALERTS)) == ["permission_denied"]
        assert codes_of(gql(persona, ACK, {"id": str(alerts["sos"].pk)})) == ["permission_denied"]
        assert codes_of(gql(persona, WINDOWS)) == ["permission_denied"]


def test_a_page_of_alerts_with_timelines_costs_a_fixed_number_of_queries(
    tenant_a_admin: Persona, tenant_a: Any, world: Any
) -> None:
    token = tenant_a_admin.tokens().access

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = post_graphql(Client(), ALERTS, None, token=token)
        assert "errors" not in response.json()
        return len(queries)

    with tenant_context(tenant_a):
        services.acknowledge_alert(tenant_a_admin.person, raise_test_alert(world.north))
    count()
    few = count()
    with tenant_context(tenant_a):
        for _ in range(4):
            services.acknowledge_alert(tenant_a_admin.person, raise_test_alert(world.south), note="x")
    assert count() == few


def test_maintenance_windows(tenant_a_supervisor: Persona, tenant_a: Any, world: Any) -> None:
    starts = timezone.now().replace(microsecond=0)
    ends = starts + timedelta(hours=2)
    variables = {
        "input": {
            "siteId": str(world.north.pk),
            "startsAt": starts.isoformat(),
            "endsAt": ends.isoformat(),
            "reason": "Lift service",
        }
    }
    body = gql(tenant_a_supervisor, CREATE_WINDOW, variables)
    created = body["data"]["createMaintenanceWindow"]["maintenanceWindow"]
    assert {key: created[key] for key in ("siteId", "siteCode", "reason", "createdById")} == {
        "siteId": str(world.north.pk),
        "siteCode": "NORTH",
        "reason": "Lift service",
        "createdById": str(tenant_a_supervisor.person.pk),
    }
    with tenant_context(tenant_a):
        south = make_window(world.south)
    rows = gql(tenant_a_supervisor, WINDOWS, {"activeAt": timezone.now().isoformat()})["data"]["maintenanceWindows"]
    assert rows == [{"id": created["id"], "siteCode": "NORTH", "reason": "Lift service"}]

    body = gql(tenant_a_supervisor, UPDATE_WINDOW, {"id": created["id"], "input": {"reason": "Lift and escalator"}})
    assert body["data"]["updateMaintenanceWindow"]["maintenanceWindow"] == {
        "id": created["id"],
        "reason": "Lift and escalator",
    }
    naive = {"input": {**variables["input"], "startsAt": "2030-01-01T10:00:00", "endsAt": "2030-01-01T12:00:00"}}
    assert codes_of(gql(tenant_a_supervisor, CREATE_WINDOW, naive)) == ["invalid_starts_at"]
    missing = {"input": {"siteId": str(world.north.pk), "reason": "x"}}
    assert codes_of(gql(tenant_a_supervisor, CREATE_WINDOW, missing)) == ["starts_at_required"]
    assert codes_of(gql(tenant_a_supervisor, DELETE_WINDOW, {"id": str(south.pk)})) == ["not_found"]
    assert gql(tenant_a_supervisor, DELETE_WINDOW, {"id": created["id"]})["data"] == {
        "deleteMaintenanceWindow": {"deletedId": created["id"]}
    }
    with tenant_context(tenant_a):
        assert list(MaintenanceWindow.objects.values_list("pk", flat=True)) == [south.pk]
