"""The escalation matrix and the SLA watch, run as the beat runs them (the task functions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import structlog.testing
from django.db import DatabaseError
from django.utils import timezone

from apps.core.tenancy import current_tenant_id, tenant_context
from apps.helpdesk import escalation, services, tasks
from apps.helpdesk.models import Ticket
from apps.noc.models import Alert

from .factories import make_ticket
from .helpers import deliveries, error, events, notifications, subscribe, ticket_row, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, world: Any) -> dict[str, Any]:
    """Maintenance: 30 min → the supervisor (admin told), 60 min → the crew (supervisor told).
    The default matrix: 10 min → the admin."""
    with tenant_context(tenant_a):
        return {
            "m1": services.create_escalation_rule(
                None,
                category_id=world.maintenance.pk,
                level=1,
                wait_minutes=30,
                assignee_person_id=tenant_a_supervisor.person.pk,
                notify_people=[tenant_a_admin.person.pk],
            ),
            "m2": services.create_escalation_rule(
                None,
                category_id=world.maintenance.pk,
                level=2,
                wait_minutes=60,
                assignee_team_id=world.crew.pk,
                notify_people=[tenant_a_supervisor.person.pk],
            ),
            "d1": services.create_escalation_rule(
                None, level=1, wait_minutes=10, assignee_person_id=tenant_a_admin.person.pk
            ),
        }


def waited(tenant: Any, ticket: Any, minutes: int) -> None:
    """Pretend the ticket reached its level ``minutes`` ago."""
    with tenant_context(tenant):
        Ticket.objects.filter(pk=ticket.pk).update(level_since=timezone.now() - timedelta(minutes=minutes))


def alerts(tenant: Any) -> list[tuple[str, str, str, str]]:
    with tenant_context(tenant):
        return [(a.type, a.severity, a.dedupe_key, a.title) for a in Alert.objects.order_by("pk")]


def escalate() -> int:
    """Run the escalation task as the beat does; every tenant must finish."""
    report = tasks.escalate_tickets()
    assert report["failed"] == {}
    return report["total"]["escalated"]


def breach() -> int:
    """Run the SLA task as the beat does; every tenant must finish."""
    report = tasks.check_sla()
    assert report["failed"] == {}
    return report["total"]["breached"]


def test_a_ticket_climbs_the_matrix_one_level_at_a_time(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, matrix: dict[str, Any]
) -> None:
    subscribe(tenant_a)
    with tenant_context(tenant_a):
        ticket = make_ticket(world.north, "Leaking pipe", category=world.maintenance, priority="URGENT")
    waited(tenant_a, ticket, 29)
    assert escalate() == 0
    assert ticket_row(tenant_a, ticket.pk).escalation_level == 0

    waited(tenant_a, ticket, 31)
    assert escalate() == 1
    row = ticket_row(tenant_a, ticket.pk)
    assert (row.escalation_level, row.assignee_person_id, row.assignee_team_id) == (
        1,
        tenant_a_supervisor.person.pk,
        None,
    )
    assert timezone.now() - row.level_since < timedelta(minutes=1)
    supervisor = {"type": "person", "id": tenant_a_supervisor.person.pk, "name": "Supervisor"}
    assert events(tenant_a, ticket.pk)[1:] == [
        ("ESCALATED", "escalation_level", 0, 1),
        ("CHANGED", "assignee", None, supervisor),
    ]
    assert sorted(notifications(tenant_a, "ticket.escalated")) == [
        ("ticket.escalated", "admin"),  # the rule's notify list
        ("ticket.escalated", "supervisor"),  # the new assignee
    ]
    assert alerts(tenant_a) == [
        (
            "TICKET_ESCALATED",
            "CRITICAL",
            f"ticket:{ticket.pk}:escalated:1",
            "Ticket NORTH#1 escalated to level 1: Leaking pipe",
        )
    ]
    escalated = [payload for event, payload in deliveries(tenant_a) if event == "ticket.escalated"]
    assert [(p["level"], p["ticket"]["escalation_level"], p["ticket"]["assignee"]) for p in escalated] == [
        (1, 1, "Supervisor")
    ]

    # The next level waits its own time, counted from now.
    assert escalate() == 0
    waited(tenant_a, ticket, 59)
    assert escalate() == 0
    waited(tenant_a, ticket, 61)
    assert escalate() == 1
    row = ticket_row(tenant_a, ticket.pk)
    assert (row.escalation_level, row.assignee_person_id, row.assignee_team_id) == (2, None, world.crew.pk)
    assert sorted(notifications(tenant_a, "ticket.escalated")[2:]) == [
        ("ticket.escalated", "guard"),
        ("ticket.escalated", "south_guard"),
        ("ticket.escalated", "supervisor"),
    ]
    # No third level in this matrix: the ticket stays at 2.
    waited(tenant_a, ticket, 10_000)
    assert escalate() == 0
    assert [a[2] for a in alerts(tenant_a)] == [f"ticket:{ticket.pk}:escalated:1", f"ticket:{ticket.pk}:escalated:2"]


def test_the_default_matrix_covers_categories_without_their_own(
    tenant_a: Any, tenant_a_admin: Any, world: Any, matrix: dict[str, Any]
) -> None:
    with tenant_context(tenant_a):
        plain = make_ticket(world.north, "No category")
        security = make_ticket(world.north, "Security has no matrix", category=world.security)
        maintenance = make_ticket(world.north, "Has its own", category=world.maintenance)
    for ticket in (plain, security, maintenance):
        waited(tenant_a, ticket, 15)
    assert escalate() == 2
    assert [ticket_row(tenant_a, t.pk).assignee_person_id for t in (plain, security)] == [tenant_a_admin.person.pk] * 2
    assert ticket_row(tenant_a, maintenance.pk).escalation_level == 0


def test_only_waiting_tickets_escalate(tenant_a: Any, world: Any, matrix: dict[str, Any]) -> None:
    with tenant_context(tenant_a):
        tickets = {
            status: make_ticket(world.north, status) for status in ("NEW", "OPEN", "ONHOLD", "RESOLVED", "CANCELLED")
        }
        for status, ticket in tickets.items():
            Ticket.objects.filter(pk=ticket.pk).update(status=status)
    for ticket in tickets.values():
        waited(tenant_a, ticket, 60)
    assert escalate() == 2
    assert {s: ticket_row(tenant_a, t.pk).escalation_level for s, t in tickets.items()} == {
        "NEW": 1,
        "OPEN": 1,
        "ONHOLD": 0,
        "RESOLVED": 0,
        "CANCELLED": 0,
    }


def test_a_rule_assignee_who_may_not_see_the_site_is_skipped(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        services.create_escalation_rule(None, level=1, wait_minutes=5, assignee_person_id=world.south_guard.person.pk)
        ticket = make_ticket(world.north, "North only")
        services.assign_ticket(None, ticket, person=tenant_a_supervisor.person)
    waited(tenant_a, ticket, 6)
    assert escalate() == 1
    row = ticket_row(tenant_a, ticket.pk)
    assert (row.escalation_level, row.assignee_person_id) == (1, tenant_a_supervisor.person.pk)


def test_reopening_restarts_the_wait(tenant_a: Any, tenant_a_admin: Any, world: Any, matrix: dict[str, Any]) -> None:
    with tenant_context(tenant_a):
        ticket = make_ticket(world.north, "Comes back")
        Ticket.objects.filter(pk=ticket.pk).update(status="RESOLVED")
    waited(tenant_a, ticket, 120)
    assert tenant_a_admin.client().post(url(ticket.pk, "transition/"), {"to": "OPEN"}, format="json").status_code == 200
    assert escalate() == 0


# --- SLA -------------------------------------------------------------------------------------


@pytest.fixture
def policies(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        services.create_sla_policy(None, priority="MEDIUM", resolve_within_minutes=60)
        services.create_sla_policy(None, priority="HIGH", resolve_within_minutes=30)


def overdue(tenant: Any, ticket: Any, minutes: int = 1) -> None:
    with tenant_context(tenant):
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=timezone.now() - timedelta(minutes=minutes))


def test_an_sla_breach_is_raised_once(tenant_a: Any, tenant_a_supervisor: Any, world: Any, policies: None) -> None:
    subscribe(tenant_a)
    with tenant_context(tenant_a):
        ticket = make_ticket(world.north, "Slow", priority="HIGH")
        services.assign_ticket(None, ticket, person=tenant_a_supervisor.person)
    row = ticket_row(tenant_a, ticket.pk)
    assert row.sla_due_at == row.created_at + timedelta(minutes=30)
    assert breach() == 0
    overdue(tenant_a, ticket)
    assert breach() == 1
    assert breach() == 0
    row = ticket_row(tenant_a, ticket.pk)
    assert row.sla_breached_at is not None
    assert [(kind, field) for kind, field, *_ in events(tenant_a, ticket.pk)][-1] == ("SLA_BREACHED", "sla_breached_at")
    assert alerts(tenant_a) == [
        ("SLA_BREACH", "HIGH", f"ticket:{ticket.pk}:sla", "Ticket NORTH#1 missed its SLA: Slow")
    ]
    assert notifications(tenant_a, "ticket.sla_breached") == [("ticket.sla_breached", "supervisor")]
    breached = [payload for event, payload in deliveries(tenant_a) if event == "ticket.sla_breached"]
    assert len(breached) == 1
    assert breached[0]["ticket"]["sla_breached_at"] == row.sla_breached_at.isoformat().replace("+00:00", "Z")
    listed = tenant_a_supervisor.client().get("/api/v1/tickets/?sla_breached=true").json()
    assert [t["number"] for t in listed["results"]] == ["NORTH#1"]


def test_only_unresolved_tickets_breach(tenant_a: Any, world: Any, policies: None) -> None:
    with tenant_context(tenant_a):
        tickets = {s: make_ticket(world.north, s) for s in ("NEW", "OPEN", "ONHOLD", "RESOLVED", "CLOSED", "CANCELLED")}
        for status, ticket in tickets.items():
            Ticket.objects.filter(pk=ticket.pk).update(status=status)
    for ticket in tickets.values():
        overdue(tenant_a, ticket)
    assert breach() == 3
    breached = {s for s, t in tickets.items() if ticket_row(tenant_a, t.pk).sla_breached_at is not None}
    assert breached == {"NEW", "OPEN", "ONHOLD"}


def test_no_policy_no_due_time(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        ticket = make_ticket(world.north, "Whenever", priority="LOW")
    assert ticket_row(tenant_a, ticket.pk).sla_due_at is None
    assert breach() == 0


def test_escalation_of_another_tenant_is_its_own(
    tenant_a: Any, tenant_b_admin: Any, world: Any, matrix: dict[str, Any]
) -> None:
    """Tenant B has no matrix: its waiting ticket stays put while tenant A's escalates."""
    from .factories import make_site

    with tenant_context(tenant_b_admin.tenant):
        theirs = make_ticket(make_site("BSITE"), "B's ticket")
    with tenant_context(tenant_a):
        ours = make_ticket(world.north, "A's ticket")
    waited(tenant_b_admin.tenant, theirs, 600)
    waited(tenant_a, ours, 600)
    assert escalate() == 1
    assert ticket_row(tenant_b_admin.tenant, theirs.pk).escalation_level == 0
    assert error(tenant_b_admin.client().get(url(ours.pk))) == (404, "not_found", {})


@pytest.mark.parametrize(
    ("task", "work", "count"),
    [("escalate_tickets", "escalate_due_tickets", "escalated"), ("check_sla", "check_sla_breaches", "breached")],
)
def test_a_failing_tenant_does_not_stop_the_others_and_is_reported(
    tenant_a: Any, tenant_b: Any, monkeypatch: pytest.MonkeyPatch, task: str, work: str, count: str
) -> None:
    from .factories import make_site

    tickets = {}
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            services.create_escalation_rule(None, level=1, wait_minutes=10)
            services.create_sla_policy(None, priority="MEDIUM", resolve_within_minutes=60)
            tickets[tenant.slug] = make_ticket(make_site("GATE"), "Waiting")
        waited(tenant, tickets[tenant.slug], 600)
        overdue(tenant, tickets[tenant.slug])
    real = getattr(escalation, work)

    def broken(now: Any = None) -> int:
        if current_tenant_id() == tenant_a.pk:
            raise DatabaseError("dedicated database unreachable")
        return real(now)

    monkeypatch.setattr(escalation, work, broken)
    with structlog.testing.capture_logs() as logs:
        report = getattr(tasks, task)()

    assert report == {
        "task": f"helpdesk.{task}",
        "tenants": 2,
        "done": 1,
        "failed": {"alpha": "DatabaseError"},
        "total": {count: 1},
        "results": {"bravo": {count: 1}},
    }
    assert [(e["event"], e["tenant"]) for e in logs if e["log_level"] == "error"] == [("task.tenant_failed", "alpha")]
    ours, theirs = ticket_row(tenant_a, tickets["alpha"].pk), ticket_row(tenant_b, tickets["bravo"].pk)
    assert (ours.escalation_level, ours.sla_breached_at) == (0, None)
    if task == "escalate_tickets":
        assert (theirs.escalation_level, theirs.sla_breached_at) == (1, None)
    else:
        assert (theirs.escalation_level, theirs.sla_breached_at is not None) == (0, True)
