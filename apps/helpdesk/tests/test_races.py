"""Concurrency against the real database: threads with their own connections, started together.

- tickets raised at one site at the same moment get 1..N, no gaps, no duplicates;
- the same system problem raised at once makes one ticket;
- the escalation and SLA tasks run twice at the same moment change a ticket once.

People here have no e-mail address, so notifications are recorded (SKIPPED) but nothing is
published to the broker when these transactions commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connections
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.helpdesk import services, tasks
from apps.helpdesk.models import Ticket, TicketEvent
from apps.noc.models import Alert
from apps.notifications.models import NotificationLog
from apps.sites.models import Client, Site, SiteAssignment
from conftest import make_persona, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def run_together(tenant: Any, *calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Start the calls at the same moment, each in its own thread, connection and tenant
    context; each result is ("ok", value) or ("error", exception)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("pending", None)] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def place() -> tuple[Any, Any, Site]:
    """A tenant with a supervisor assigned to one site."""
    tenant = make_tenant("racers")
    supervisor = make_persona(tenant, "supervisor")
    with tenant_context(tenant):
        client = Client.objects.create(code="C1", name="Client")
        site = Site.objects.create(client=client, code="GATE", name="Gate", location=Point(55.27, 25.2))
        SiteAssignment.objects.create(person=supervisor.person, site=site)
    return tenant, supervisor, site


def test_concurrent_tickets_at_one_site_are_numbered_without_gaps(place: tuple[Any, Any, Site]) -> None:
    tenant, supervisor, site = place

    def raise_one(n: int) -> Callable[[], str]:
        def call() -> str:
            ticket, _ = services.create_ticket(supervisor.person, site_id=site.pk, title=f"Ticket {n}")
            return ticket.number

        return call

    results = run_together(tenant, *[raise_one(n) for n in range(THREADS)])
    assert [kind for kind, _ in results] == ["ok"] * THREADS, results
    assert sorted(number for _, number in results) == sorted(f"GATE#{n}" for n in range(1, THREADS + 1))
    with tenant_context(tenant):
        assert sorted(Ticket.objects.values_list("seq", flat=True)) == list(range(1, THREADS + 1))


def test_the_same_problem_raised_at_once_is_one_ticket(place: tuple[Any, Any, Site]) -> None:
    tenant, _, site = place

    def raise_it() -> int:
        return services.raise_ticket(site=site, category=None, title="Tour missed", dedupe_key="tour:42:missed").pk

    results = run_together(tenant, *[raise_it] * 4)
    assert [kind for kind, _ in results] == ["ok"] * 4, results
    assert len({pk for _, pk in results}) == 1
    with tenant_context(tenant):
        assert list(Ticket.objects.values_list("number", flat=True)) == ["GATE#1"]
        # The next ticket at the site takes the next number: the losers gave theirs back.
        assert services.raise_ticket(site=site, category=None, title="Other").number == "GATE#2"


def test_two_escalation_runs_at_once_escalate_once(place: tuple[Any, Any, Site]) -> None:
    tenant, supervisor, site = place
    with tenant_context(tenant):
        services.create_escalation_rule(
            None,
            level=1,
            wait_minutes=30,
            assignee_person_id=supervisor.person.pk,
            notify_people=[supervisor.person.pk],
        )
        services.create_escalation_rule(None, level=2, wait_minutes=1, notify_people=[supervisor.person.pk])
        ticket = services.raise_ticket(site=site, category=None, title="Waiting", priority="HIGH")
        Ticket.objects.filter(pk=ticket.pk).update(level_since=timezone.now() - timedelta(hours=2))

    results = run_together(tenant, tasks.escalate_tickets, tasks.escalate_tickets)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sorted(report["total"]["escalated"] for _, report in results) == [0, 1], results
    with tenant_context(tenant):
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.escalation_level, row.assignee_person_id) == (1, supervisor.person.pk)
        assert TicketEvent.objects.filter(ticket=row, kind="ESCALATED").count() == 1
        assert list(Alert.objects.values_list("dedupe_key", flat=True)) == [f"ticket:{ticket.pk}:escalated:1"]
        assert NotificationLog.objects.filter(event="ticket.escalated").count() == 1


def test_two_sla_runs_at_once_breach_once(place: tuple[Any, Any, Site]) -> None:
    tenant, _, site = place
    with tenant_context(tenant):
        services.create_sla_policy(None, priority="MEDIUM", resolve_within_minutes=10)
        ticket = services.raise_ticket(site=site, category=None, title="Late")
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=timezone.now() - timedelta(minutes=1))

    results = run_together(tenant, tasks.check_sla, tasks.check_sla)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sorted(report["total"]["breached"] for _, report in results) == [0, 1], results
    with tenant_context(tenant):
        assert TicketEvent.objects.filter(ticket_id=ticket.pk, kind="SLA_BREACHED").count() == 1
        assert list(Alert.objects.values_list("type", "occurrences")) == [("SLA_BREACH", 1)]
