"""Alert assignment refusals name only what the caller sent.

A supervisor of NORTH who names a guard working only at SOUTH gets ``unknown_assignee``;
an admin (who may see everyone) gets ``assignee_cannot_see_site``. Neither answer, over
REST or GraphQL, carries the guard's name.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.noc.models import Alert, AlertEvent
from apps.people.models import Person
from conftest import Persona, make_persona

from .factories import raise_test_alert

pytestmark = pytest.mark.django_db

SECRET_NAME = "Ravi Khan"
ASSIGN = "mutation A($id: ID!, $p: ID!) { assignAlert(id: $id, personId: $p) { alert { status } } }"


def test_assigning_an_alert_to_someone_outside_the_site(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona, world: Any
) -> None:
    guard = make_persona(tenant_a, "guard", login="southguard", home_site_id=world.south.pk).person.pk
    with tenant_context(tenant_a):
        Person.objects.filter(pk=guard).update(name=SECRET_NAME)
        alert = raise_test_alert(world.north, type="SOS", severity="CRITICAL", title="SOS at the gate")
    cases = [
        (tenant_a_supervisor, "unknown_assignee", f"No active person {guard} you may assign to."),
        (tenant_a_admin, "assignee_cannot_see_site", f"Person {guard} may not see the alert's site."),
    ]
    for persona, code, message in cases:
        response = persona.client().post(f"/api/v1/alerts/{alert.pk}/assign/", {"person": guard}, format="json")
        assert (response.status_code, response.json()) == (
            400,
            {"error": {"code": code, "message": message, "details": {"field": "assignee"}}},
        )
        assert SECRET_NAME not in response.content.decode()
        response = post_graphql(Client(), ASSIGN, {"id": alert.pk, "p": guard}, token=persona.tokens().access)
        assert SECRET_NAME not in response.content.decode()
        assert [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]] == [(message, code)]
    with tenant_context(tenant_a):
        row = Alert.objects.get(pk=alert.pk)
        assert (row.status, row.assigned_to_id) == ("NEW", None)
        assert not AlertEvent.objects.filter(alert=row, kind=AlertEvent.Kind.ASSIGNED).exists()
