"""Tickets over GraphQL: the same scope, rules and error codes as REST, without N+1 queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.helpdesk import services

from .factories import make_ticket, photo
from .helpers import events, ticket_count

pytestmark = pytest.mark.django_db

CREATE = """
mutation Create($input: CreateTicketInput!) {
  createTicket(input: $input) { created ticket { number status priority siteCode categoryName raisedById } }
}
"""
TRANSITION = """
mutation Move($id: ID!, $to: TicketStatus!, $note: String) {
  transitionTicket(id: $id, to: $to, note: $note) { ticket { status nextStatuses } }
}
"""
TICKET = """
query One($id: ID!) {
  ticket(id: $id) {
    number status assigneeName
    comments { body authorName }
    attachments { name contentType url }
    history { kind field oldValue newValue actorName }
  }
}
"""
TICKETS = """
query List($status: [TicketStatus!], $siteId: ID, $number: String) {
  tickets(status: $status, siteId: $siteId, number: $number) {
    number comments { body } attachments { name } history { kind }
  }
}
"""


def ask(persona: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_raise_and_work_a_ticket(tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any) -> None:
    created = ask(
        tenant_a_guard,
        CREATE,
        {
            "input": {
                "siteId": world.north.pk,
                "title": "Lift stuck",
                "priority": "URGENT",
                "categoryId": world.maintenance.pk,
            }
        },
    )
    assert created == {
        "data": {
            "createTicket": {
                "created": True,
                "ticket": {
                    "number": "NORTH#1",
                    "status": "NEW",
                    "priority": "URGENT",
                    "siteCode": "NORTH",
                    "categoryName": "Maintenance",
                    "raisedById": str(tenant_a_guard.person.pk),
                },
            }
        }
    }
    with tenant_context(tenant_a):
        ticket_id = services.selectors.tickets_for(tenant_a_guard.person).get().pk
    moved = ask(tenant_a_supervisor, TRANSITION, {"id": ticket_id, "to": "OPEN", "note": "On it"})
    assert moved == {
        "data": {
            "transitionTicket": {"ticket": {"status": "OPEN", "nextStatuses": ["RESOLVED", "ONHOLD", "CANCELLED"]}}
        }
    }
    refused = ask(tenant_a_supervisor, TRANSITION, {"id": ticket_id, "to": "CLOSED"})
    assert codes(refused) == ["invalid_transition"]
    assert refused["errors"][0]["extensions"]["details"] == {
        "from": "OPEN",
        "to": "CLOSED",
        "allowed": ["RESOLVED", "ONHOLD", "CANCELLED"],
    }
    guard_moves = ask(tenant_a_guard, TRANSITION, {"id": ticket_id, "to": "RESOLVED"})
    assert codes(guard_moves) == ["permission_denied"]
    add = "mutation($id: ID!, $b: String!) { addTicketComment(id: $id, body: $b) { comment { body authorName } } }"
    comment = ask(tenant_a_guard, add, {"id": ticket_id, "b": "Still stuck"})
    assert comment == {"data": {"addTicketComment": {"comment": {"body": "Still stuck", "authorName": "Guard"}}}}
    too_long = ask(tenant_a_guard, add, {"id": ticket_id, "b": "x" * 4001})
    assert codes(too_long) == ["body_too_long"]
    assert [kind for kind, *_ in events(tenant_a, ticket_id)] == ["CREATED", "CHANGED", "COMMENTED"]


def test_create_refuses_what_rest_refuses(tenant_a: Any, tenant_a_guard: Any, tenant_a_client: Any, world: Any) -> None:
    cases = [
        (tenant_a_guard, {"siteId": world.south.pk, "title": "x"}, "unknown_site"),
        (tenant_a_guard, {"siteId": world.north.pk, "title": " "}, "title_required"),
        (
            tenant_a_guard,
            {"siteId": world.north.pk, "title": "x", "categoryId": world.department.pk},
            "invalid_category",
        ),
        (
            tenant_a_guard,
            {"siteId": world.north.pk, "title": "x", "assigneeTeamId": world.crew.pk},
            "permission_denied",
        ),
        (tenant_a_client, {"siteId": world.north.pk, "title": "x"}, "permission_denied"),
    ]
    for persona, data, code in cases:
        assert codes(ask(persona, CREATE, {"input": data})) == [code], data
    assert ticket_count(tenant_a) == 0


def test_one_ticket_with_its_comments_files_and_history(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any, django_assert_num_queries: Any
) -> None:
    response = tenant_a_guard.client().post(
        "/api/v1/tickets/",
        {"site": world.north.pk, "title": "Smashed glass", "photos": [photo("glass.png")]},
        format="multipart",
    )
    ticket_id = response.json()["id"]
    file_url = tenant_a_guard.client().get(f"/api/v1/tickets/{ticket_id}/attachments/").json()[0]["url"]
    with tenant_context(tenant_a):
        ticket = services.selectors.get_ticket_for(tenant_a_supervisor.person, ticket_id)
        services.add_comment(tenant_a_supervisor.person, ticket, "Glazier booked.")
    ask(tenant_a_supervisor, TICKET, {"id": ticket_id})  # warm the caller's token check
    token = tenant_a_supervisor.tokens().access
    # the caller and roles, the ticket, then one query each for comments, files and history
    with django_assert_num_queries(6):
        body = post_graphql(Client(), TICKET, {"id": ticket_id}, token=token).json()
    assert body == {
        "data": {
            "ticket": {
                "number": "NORTH#1",
                "status": "NEW",
                "assigneeName": None,
                "comments": [{"body": "Glazier booked.", "authorName": "Supervisor"}],
                "attachments": [{"name": "glass.png", "contentType": "image/png", "url": file_url}],
                "history": [
                    {"kind": "CREATED", "field": "status", "oldValue": None, "newValue": "NEW", "actorName": "Guard"},
                    {"kind": "ATTACHED", "field": "", "oldValue": None, "newValue": None, "actorName": "Guard"},
                    {"kind": "COMMENTED", "field": "", "oldValue": None, "newValue": None, "actorName": "Supervisor"},
                ],
            }
        }
    }


def test_the_list_does_not_grow_with_its_rows(
    tenant_a: Any, tenant_a_admin: Any, world: Any, django_assert_num_queries: Any
) -> None:
    with tenant_context(tenant_a):
        make_ticket(world.north, "First")
    token = tenant_a_admin.tokens().access
    post_graphql(Client(), TICKETS, {}, token=token)
    with django_assert_num_queries(6):
        few = post_graphql(Client(), TICKETS, {}, token=token).json()
    with tenant_context(tenant_a):
        for n in range(4):
            ticket = make_ticket(world.south, f"More {n}")
            services.add_comment(None, ticket, "system note")
    with django_assert_num_queries(6):
        many = post_graphql(Client(), TICKETS, {}, token=token).json()
    assert len(few["data"]["tickets"]) == 1 and len(many["data"]["tickets"]) == 5
    assert many["data"]["tickets"][0]["comments"] == [{"body": "system note"}]
    filtered = post_graphql(Client(), TICKETS, {"siteId": world.north.pk, "status": ["NEW"]}, token=token).json()
    assert [t["number"] for t in filtered["data"]["tickets"]] == ["NORTH#1"]
    by_number = post_graphql(Client(), TICKETS, {"number": "south#3"}, token=token).json()
    assert [t["number"] for t in by_number["data"]["tickets"]] == ["SOUTH#3"]


def test_scope_and_tenants(tenant_a: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        north, south = make_ticket(world.north, "N"), make_ticket(world.south, "S")
    listed = ask(tenant_a_supervisor, "{ tickets { number } }")
    assert listed == {"data": {"tickets": [{"number": north.number}]}}
    assert codes(ask(tenant_a_supervisor, TICKET, {"id": south.pk})) == ["not_found"]
    assert codes(ask(tenant_b_admin, TICKET, {"id": north.pk})) == ["not_found"]
    assert ask(tenant_b_admin, "{ tickets { number } }") == {"data": {"tickets": []}}


def test_matrix_and_policies(tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any) -> None:
    rule = ask(
        tenant_a_supervisor,
        "mutation($i: EscalationRuleInput!) { createEscalationRule(input: $i) "
        "{ escalationRule { level waitMinutes categoryId notifyTeams } } }",
        {"i": {"categoryId": world.security.pk, "level": 1, "waitMinutes": 15, "notifyTeams": [world.crew.pk]}},
    )
    assert rule == {
        "data": {
            "createEscalationRule": {
                "escalationRule": {
                    "level": 1,
                    "waitMinutes": 15,
                    "categoryId": str(world.security.pk),
                    "notifyTeams": [str(world.crew.pk)],
                }
            }
        }
    }
    policy = ask(
        tenant_a_supervisor,
        "mutation { createSlaPolicy(input: {priority: HIGH, resolveWithinMinutes: 240}) { slaPolicy { priority resolveWithinMinutes } } }",
    )
    assert policy == {"data": {"createSlaPolicy": {"slaPolicy": {"priority": "HIGH", "resolveWithinMinutes": 240}}}}
    duplicate = ask(
        tenant_a_supervisor,
        "mutation { createSlaPolicy(input: {priority: HIGH, resolveWithinMinutes: 5}) { slaPolicy { id } } }",
    )
    assert codes(duplicate) == ["duplicate_policy"]
    listed = ask(tenant_a_supervisor, "{ escalationRules { level } slaPolicies { priority } }")
    assert listed == {"data": {"escalationRules": [{"level": 1}], "slaPolicies": [{"priority": "HIGH"}]}}
    assert codes(ask(tenant_a_guard, "{ slaPolicies { priority } }")) == ["permission_denied"]
