"""Ticket assignment refusals name only what the caller sent.

The supervisor handles NORTH; the south guard works at SOUTH only. Assigning a NORTH ticket
to them is ``assignee_not_at_site`` as before, but no part of the answer (REST or GraphQL)
carries their name: the caller sent an id and gets the id back.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person

from .helpers import TICKETS, events, ticket_count, ticket_row, url

pytestmark = pytest.mark.django_db

SECRET_NAME = "Ravi Khan"


@pytest.fixture
def hidden_guard(tenant_a: Any, world: Any) -> int:
    with tenant_context(tenant_a):
        Person.objects.filter(pk=world.south_guard.person.pk).update(name=SECRET_NAME)
    return int(world.south_guard.person.pk)


def test_assigning_a_ticket_to_someone_outside_the_site(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, hidden_guard: int
) -> None:
    client = tenant_a_supervisor.client()
    ticket = client.post(TICKETS, {"site": world.north.pk, "title": "Door jammed"}, format="json").json()
    expected = {
        "code": "assignee_not_at_site",
        "message": f"Person {hidden_guard} may not see site NORTH.",
        "details": {"field": "assignee_person", "person": hidden_guard, "site": world.north.pk},
    }

    response = client.post(url(ticket["id"], "assign/"), {"person": hidden_guard}, format="json")
    assert (response.status_code, response.json()) == (400, {"error": expected})
    assert SECRET_NAME not in response.content.decode()

    body = {"site": world.north.pk, "title": "Window broken", "assignee_person": hidden_guard}
    response = client.post(TICKETS, body, format="json")
    assert (response.status_code, response.json()) == (400, {"error": expected})
    assert SECRET_NAME not in response.content.decode()

    response = post_graphql(
        Client(),
        "mutation A($id: ID!, $p: ID) { assignTicket(id: $id, personId: $p) { ticket { number } } }",
        {"id": ticket["id"], "p": hidden_guard},
        token=tenant_a_supervisor.tokens().access,
    )
    assert SECRET_NAME not in response.content.decode()
    assert [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]] == [
        (expected["message"], "assignee_not_at_site")
    ]

    row = ticket_row(tenant_a, ticket["id"])
    assert (row.assignee_person_id, row.assignee_team_id) == (None, None)
    assert [kind for kind, *_ in events(tenant_a, ticket["id"])] == ["CREATED"]
    assert ticket_count(tenant_a) == 1
