"""Working a ticket over REST: status machine, assignment, edits, comments, history, and who is told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.helpdesk import services
from apps.helpdesk.models import Ticket, TicketComment
from conftest import make_persona, make_tenant

from .factories import make_category, make_ticket
from .helpers import TICKETS, deliveries, error, events, notifications, subscribe, ticket_row, url

pytestmark = pytest.mark.django_db

ALLOWED = [
    ("NEW", "OPEN"),
    ("NEW", "CANCELLED"),
    ("OPEN", "RESOLVED"),
    ("OPEN", "ONHOLD"),
    ("OPEN", "CANCELLED"),
    ("ONHOLD", "OPEN"),
    ("ONHOLD", "RESOLVED"),
    ("ONHOLD", "CANCELLED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "OPEN"),
]
STATUSES = ["NEW", "OPEN", "ONHOLD", "RESOLVED", "CLOSED", "CANCELLED"]


def raised(persona: Any, world: Any, **body: Any) -> dict[str, Any]:
    response = persona.client().post(TICKETS, {"site": world.north.pk, "title": "Door jammed", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def set_status(tenant: Any, pk: int, status: str) -> None:
    with tenant_context(tenant):
        Ticket.objects.filter(pk=pk).update(status=status)


def test_the_status_machine(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    """Every pair of statuses: the ten transitions of the issue work, every other one is
    refused with ``invalid_transition`` naming both ends, and changes nothing."""
    client = tenant_a_admin.client()
    for start in STATUSES:
        for to in STATUSES:
            with tenant_context(tenant_a):
                ticket = make_ticket(world.north, f"{start} to {to}")
            set_status(tenant_a, ticket.pk, start)
            response = client.post(url(ticket.pk, "transition/"), {"to": to}, format="json")
            if (start, to) in ALLOWED:
                assert response.status_code == 200, (start, to, response.content)
                assert response.json()["status"] == to
                assert events(tenant_a, ticket.pk)[-1] == ("CHANGED", "status", start, to)
                continue
            allowed = [target for source, target in ALLOWED if source == start]
            assert error(response) == (409, "invalid_transition", {"from": start, "to": to, "allowed": allowed})
            assert response.json()["error"]["message"] == f"A ticket cannot go from {start} to {to}."
            assert ticket_row(tenant_a, ticket.pk).status == start
            assert [kind for kind, *_ in events(tenant_a, ticket.pk)] == ["CREATED"]


def test_a_ticket_through_its_life(tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any) -> None:
    ticket = raised(tenant_a_guard, world)
    client = tenant_a_supervisor.client()

    def move(to: str, note: str = "") -> dict[str, Any]:
        response = client.post(url(ticket["id"], "transition/"), {"to": to, "note": note}, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    assert move("OPEN")["next_statuses"] == ["RESOLVED", "ONHOLD", "CANCELLED"]
    resolved = move("RESOLVED", "Door oiled.")
    assert resolved["resolved_at"] is not None and resolved["closed_at"] is None
    reopened = move("OPEN", "Jammed again.")
    assert reopened["resolved_at"] is None
    assert reopened["level_since"] > ticket["level_since"]  # the escalation clock restarts
    move("RESOLVED")
    closed = move("CLOSED")
    assert (closed["status"], closed["next_statuses"]) == ("CLOSED", [])
    assert closed["closed_at"] is not None
    history = client.get(url(ticket["id"], "history/")).json()["results"]
    assert [(h["kind"], h["from"], h["to"], h["actor_name"], h["note"]) for h in history] == [
        ("CREATED", None, "NEW", "Guard", "User ticket at NORTH, priority MEDIUM."),
        ("CHANGED", "NEW", "OPEN", "Supervisor", ""),
        ("CHANGED", "OPEN", "RESOLVED", "Supervisor", "Door oiled."),
        ("CHANGED", "RESOLVED", "OPEN", "Supervisor", "Jammed again."),
        ("CHANGED", "OPEN", "RESOLVED", "Supervisor", ""),
        ("CHANGED", "RESOLVED", "CLOSED", "Supervisor", ""),
    ]
    # Every status change is e-mailed to the guard who raised the ticket.
    assert notifications(tenant_a) == [("ticket.updated", "guard")] * 5
    # A closed ticket no longer changes.
    for tail, body in (("comments/", {"body": "late"}), ("assign/", {"person": tenant_a_supervisor.person.pk})):
        assert error(client.post(url(ticket["id"], tail), body, format="json")) == (
            409,
            "ticket_closed",
            {"status": "CLOSED"},
        )
    assert error(client.patch(url(ticket["id"]), {"title": "New"}, format="json"))[:2] == (409, "ticket_closed")


def test_only_handlers_of_the_site_move_a_ticket(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, tenant_a_client: Any, world: Any
) -> None:
    ticket = raised(tenant_a_guard, world)
    for persona in (tenant_a_guard, tenant_a_client):
        response = persona.client().post(url(ticket["id"], "transition/"), {"to": "OPEN"}, format="json")
        assert error(response)[:2] == (403, "permission_denied")
    with tenant_context(tenant_a):
        south = make_ticket(world.south)
    response = tenant_a_supervisor.client().post(url(south.pk, "transition/"), {"to": "OPEN"}, format="json")
    assert error(response) == (404, "not_found", {})
    assert ticket_row(tenant_a, ticket["id"]).status == ticket_row(tenant_a, south.pk).status == "NEW"


def test_an_unknown_status_is_refused(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    ticket = raised(tenant_a_admin, world)
    response = tenant_a_admin.client().post(url(ticket["id"], "transition/"), {"to": "DONE"}, format="json")
    assert error(response) == (
        400,
        "invalid_status",
        {"field": "to", "choices": ["NEW", "OPEN", "ONHOLD", "RESOLVED", "CLOSED", "CANCELLED"]},
    )


def test_assignment(tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any) -> None:
    ticket = raised(tenant_a_supervisor, world)
    client = tenant_a_supervisor.client()
    to_guard = client.post(url(ticket["id"], "assign/"), {"person": tenant_a_guard.person.pk}, format="json")
    assert to_guard.status_code == 200, to_guard.content
    assert (to_guard.json()["assignee_person"], to_guard.json()["assignee_name"]) == (tenant_a_guard.person.pk, "Guard")
    again = client.post(url(ticket["id"], "assign/"), {"person": tenant_a_guard.person.pk}, format="json")
    assert again.json()["version"] == to_guard.json()["version"]  # nothing changed, nothing written
    to_team = client.post(url(ticket["id"], "assign/"), {"team": world.crew.pk}, format="json").json()
    assert (to_team["assignee_person"], to_team["assignee_team"]) == (None, world.crew.pk)
    nobody = client.post(url(ticket["id"], "assign/"), {}, format="json").json()
    assert (nobody["assignee_person"], nobody["assignee_team"]) == (None, None)
    guard_label = {"type": "person", "id": tenant_a_guard.person.pk, "name": "Guard"}
    crew_label = {"type": "team", "id": world.crew.pk, "name": "Crew"}
    assert events(tenant_a, ticket["id"])[1:] == [
        ("CHANGED", "assignee", None, guard_label),
        ("CHANGED", "assignee", guard_label, crew_label),
        ("CHANGED", "assignee", crew_label, None),
    ]
    # The new assignee is told: the guard, then both crew members.
    assert notifications(tenant_a) == [
        ("ticket.updated", "guard"),
        ("ticket.updated", "guard"),
        ("ticket.updated", "south_guard"),
    ]


def test_bad_assignments_change_nothing(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, world: Any
) -> None:
    ticket = raised(tenant_a_supervisor, world)
    client = tenant_a_supervisor.client()
    with tenant_context(tenant_a):
        inactive = make_persona(tenant_a, "guard", login="gone").person
        type(inactive).objects.filter(pk=inactive.pk).update(is_active=False, home_site=world.north)
    cases = [
        ({"person": tenant_b_admin.person.pk}, "unknown_person", "assignee_person"),
        ({"person": inactive.pk}, "unknown_person", "assignee_person"),
        ({"team": 999999}, "unknown_team", "assignee_team"),
        ({"person": world.south_guard.person.pk}, "assignee_not_at_site", "assignee_person"),
        ({"person": tenant_a_supervisor.person.pk, "team": world.crew.pk}, "one_assignee", "assignee"),
    ]
    for body, code, field in cases:
        status, got, details = error(client.post(url(ticket["id"], "assign/"), body, format="json"))
        assert (status, got, details["field"]) == (400, code, field), body
    row = ticket_row(tenant_a, ticket["id"])
    assert (row.assignee_person_id, row.assignee_team_id) == (None, None)
    assert [kind for kind, *_ in events(tenant_a, ticket["id"])] == ["CREATED"]


def test_editing_recomputes_the_sla(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        services.create_sla_policy(None, priority="MEDIUM", resolve_within_minutes=24 * 60)
        services.create_sla_policy(None, priority="URGENT", resolve_within_minutes=120)
        services.create_sla_policy(None, category_id=world.security.pk, priority="URGENT", resolve_within_minutes=30)
    ticket = raised(tenant_a_supervisor, world)
    row = ticket_row(tenant_a, ticket["id"])
    assert row.sla_due_at == row.created_at + timedelta(hours=24)
    client = tenant_a_supervisor.client()
    urgent = client.patch(url(ticket["id"]), {"priority": "URGENT", "title": " Door jammed shut "}, format="json")
    assert urgent.status_code == 200, urgent.content
    row = ticket_row(tenant_a, ticket["id"])
    assert row.sla_due_at == row.created_at + timedelta(minutes=120)
    assert urgent.json()["title"] == "Door jammed shut"
    security = client.patch(url(ticket["id"]), {"category": world.security.pk}, format="json").json()
    row = ticket_row(tenant_a, ticket["id"])
    assert security["sla_due_at"] == (row.created_at + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    changes = [(field, old, new) for kind, field, old, new in events(tenant_a, ticket["id"]) if kind == "CHANGED"]
    iso = lambda minutes: (row.created_at + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")  # noqa: E731
    assert changes == [
        ("title", "Door jammed", "Door jammed shut"),
        ("priority", "MEDIUM", "URGENT"),
        ("sla_due_at", iso(24 * 60), iso(120)),
        ("category", None, {"id": world.security.pk, "name": "Security incident"}),
        ("sla_due_at", iso(120), iso(30)),
    ]
    assert error(client.patch(url(ticket["id"]), {"priority": "SOON"}, format="json"))[:2] == (400, "invalid_priority")
    assert error(tenant_a_supervisor.client().put(url(ticket["id"]), {}, format="json"))[:2] == (
        405,
        "method_not_allowed",
    )


def test_comments(tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any) -> None:
    ticket = raised(tenant_a_guard, world)
    supervisor, guard = tenant_a_supervisor.client(), tenant_a_guard.client()
    supervisor.post(url(ticket["id"], "assign/"), {"team": world.crew.pk}, format="json")
    before = notifications(tenant_a)
    said = supervisor.post(url(ticket["id"], "comments/"), {"body": "On my way."}, format="json")
    assert said.status_code == 201, said.content
    assert {k: said.json()[k] for k in ("body", "author", "author_name")} == {
        "body": "On my way.",
        "author": tenant_a_supervisor.person.pk,
        "author_name": "Supervisor",
    }
    # The raiser and the assignee are told (the crew: the guard once, and the south guard).
    assert sorted(notifications(tenant_a)[len(before) :]) == [
        ("ticket.comment_added", "guard"),
        ("ticket.comment_added", "south_guard"),
    ]
    before = notifications(tenant_a)
    assert guard.post(url(ticket["id"], "comments/"), {"body": "Thanks"}, format="json").status_code == 201
    # The guard raised the ticket and is in the crew, but wrote this: only the other crew member is told.
    assert notifications(tenant_a)[len(before) :] == [("ticket.comment_added", "south_guard")]
    listed = guard.get(url(ticket["id"], "comments/")).json()
    assert [c["body"] for c in listed["results"]] == ["On my way.", "Thanks"]
    too_long = supervisor.post(url(ticket["id"], "comments/"), {"body": "x" * 4001}, format="json")
    assert error(too_long) == (400, "body_too_long", {"field": "body", "max_length": 4000, "length": 4001})
    assert error(supervisor.post(url(ticket["id"], "comments/"), {"body": " "}, format="json"))[:2] == (
        400,
        "body_required",
    )
    with tenant_context(tenant_a):
        assert TicketComment.objects.count() == 2
    comment_events = [(kind, field) for kind, field, *_ in events(tenant_a, ticket["id"]) if kind == "COMMENTED"]
    assert comment_events == [("COMMENTED", ""), ("COMMENTED", "")]


def test_a_guard_comments_only_on_tickets_they_are_in(tenant_a: Any, tenant_a_guard: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        someone_elses = make_ticket(world.north)
    response = tenant_a_guard.client().post(url(someone_elses.pk, "comments/"), {"body": "hi"}, format="json")
    assert error(response) == (404, "not_found", {})


def test_webhooks_hear_every_change(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    subscribe(tenant_a)
    ticket = raised(tenant_a_supervisor, world)
    client = tenant_a_supervisor.client()
    client.post(url(ticket["id"], "transition/"), {"to": "OPEN"}, format="json")
    client.post(url(ticket["id"], "comments/"), {"body": "Noted"}, format="json")
    client.patch(url(ticket["id"]), {"priority": "HIGH"}, format="json")
    sent = deliveries(tenant_a)
    assert [event for event, _ in sent] == [
        "ticket.created",
        "ticket.updated",
        "ticket.comment_added",
        "ticket.updated",
    ]
    created = sent[0][1]
    assert {
        k: created["ticket"][k] for k in ("id", "number", "status", "priority", "site_code", "site_name", "url")
    } == {
        "id": ticket["id"],
        "number": "NORTH#1",
        "status": "NEW",
        "priority": "MEDIUM",
        "site_code": "NORTH",
        "site_name": "North Gate",
        "url": f"/tickets/{ticket['id']}/",
    }
    assert created["actor"] == {"id": tenant_a_supervisor.person.pk, "name": "Supervisor"}
    assert sent[1][1]["changes"] == [{"field": "status", "from": "NEW", "to": "OPEN"}]
    assert sent[2][1]["comment"]["body"] == "Noted"
    assert sent[3][1]["changes"] == [{"field": "priority", "from": "MEDIUM", "to": "HIGH"}]


def test_a_rolled_back_change_tells_nobody(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    """Notifications are rows of the same transaction: a refused change leaves none."""
    subscribe(tenant_a)
    ticket = raised(tenant_a_supervisor, world)
    before = (notifications(tenant_a), deliveries(tenant_a))
    tenant_a_supervisor.client().post(url(ticket["id"], "transition/"), {"to": "CLOSED"}, format="json")
    assert (notifications(tenant_a), deliveries(tenant_a)) == before


def test_services_refuse_another_tenants_category(tenant_a: Any, world: Any) -> None:
    other = make_tenant("other")
    with tenant_context(other):
        foreign = make_category("MAINT", "Maintenance")
    with tenant_context(tenant_a), pytest.raises(services.TicketError) as refused:
        make_ticket(world.north, category=foreign.pk)
    assert refused.value.code == "unknown_category"
