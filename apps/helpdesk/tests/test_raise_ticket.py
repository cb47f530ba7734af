"""``raise_ticket``, the door other features (auto-close, alerts, SOS) raise tickets through."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.helpdesk.models import Ticket
from apps.helpdesk.services import TicketError, raise_ticket, transition_ticket
from apps.sites.models import Site

from .factories import make_site
from .helpers import deliveries, notifications, subscribe

pytestmark = pytest.mark.django_db


def test_a_system_ticket(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    subscribe(tenant_a)
    with tenant_context(tenant_a):
        Site.objects.filter(pk=world.north.pk).update(in_charge=tenant_a_supervisor.person)
        north = Site.objects.get(pk=world.north.pk)
        ticket = raise_ticket(
            site=north,
            category=world.maintenance,
            title="Tour missed at North Gate",
            description="Night tour 02:00 was not done.",
            priority="HIGH",
            dedupe_key="tour:7:2026-11-27",
        )
        row = Ticket.objects.get(pk=ticket.pk)
    assert (row.number, row.source, row.raised_by_id, row.status, row.priority, row.category_id) == (
        "NORTH#1",
        "SYSTEM",
        None,
        "NEW",
        "HIGH",
        world.maintenance.pk,
    )
    assert row.assignee_person_id == tenant_a_supervisor.person.pk  # the site's in-charge
    assert notifications(tenant_a) == [("ticket.created", "supervisor")]
    [(event, payload)] = deliveries(tenant_a)
    assert (event, payload["actor"], payload["ticket"]["source"]) == ("ticket.created", None, "SYSTEM")


def test_the_same_problem_returns_the_active_ticket(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        source = Site.objects.get(pk=world.south.pk)  # any row of the tenant can be the cause
        first = raise_ticket(site=world.north, category=None, title="Panic button", source=source)
        again = raise_ticket(site=world.north, category=None, title="Panic button again", source=source)
        keyed = raise_ticket(site=world.north, category=None, title="Keyed", dedupe_key="k1")
        keyed_again = raise_ticket(site=world.south, category=None, title="Keyed again", dedupe_key="k1")
        assert (again.pk, keyed_again.pk) == (first.pk, keyed.pk)
        assert Ticket.objects.count() == 2
        # Once the first is resolved, the same cause raises a new ticket.
        transition_ticket(None, first, "OPEN")
        transition_ticket(None, first, "RESOLVED")
        fresh = raise_ticket(site=world.north, category=None, title="Panic button", source=source)
        assert fresh.pk != first.pk and fresh.number == "NORTH#3"
        # Reopening the old one now would make two active tickets for one cause.
        with pytest.raises(TicketError) as refused:
            transition_ticket(None, first, "OPEN")
        assert (refused.value.code, refused.value.status) == ("duplicate_active_ticket", 409)
        assert Ticket.objects.get(pk=first.pk).status == "RESOLVED"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "title_required"),
        ({"priority": "P1"}, "invalid_priority"),
        ({"category": "department"}, "invalid_category"),
        ({"dedupe_key": "k" * 201}, "dedupe_key_too_long"),
        ({"source": "not a row"}, "invalid_source"),
        ({"site": "other tenant"}, "unknown_site"),
    ],
)
def test_bad_input_raises_nothing(tenant_a: Any, tenant_b: Any, world: Any, fields: dict[str, Any], code: str) -> None:
    if fields.get("category") == "department":
        fields["category"] = world.department
    if fields.get("site") == "other tenant":
        with tenant_context(tenant_b):
            fields["site"] = make_site("BSITE")
    with tenant_context(tenant_a):
        arguments = {"site": world.north, "category": None, "title": "Fine", **fields}
        with pytest.raises(TicketError) as refused:
            raise_ticket(**arguments)
        assert refused.value.code == code
        assert Ticket.objects.count() == 0
