"""The demo helpdesk loads, and loading it again duplicates nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from apps.core.tenancy import tenant_context
from apps.helpdesk.models import EscalationRecipient, EscalationRule, SlaPolicy, Ticket, TicketEvent
from apps.tenants.models import Lookup, Tenant

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, Any]:
    with tenant_context(Tenant.objects.get(slug="acme")):
        return {
            "categories": sorted(
                Lookup.objects.filter(kind=Lookup.Kind.TICKET_CATEGORY).values_list("code", flat=True)
            ),
            "rules": sorted(EscalationRule.objects.values_list("category__code", "level", "wait_minutes")),
            "recipients": EscalationRecipient.objects.count(),
            "policies": SlaPolicy.objects.count(),
            # The helpdesk demo's own tickets; missed demo tours raise system tickets by the clock.
            "tickets": sorted(Ticket.objects.filter(source=Ticket.Source.USER).values_list("number", "status")),
            "events": TicketEvent.objects.filter(ticket__source=Ticket.Source.USER).count(),
        }


def test_load_demo_twice() -> None:
    call_command("load_demo", stdout=StringIO())
    first = snapshot()
    call_command("load_demo", stdout=StringIO())
    assert snapshot() == first
    assert first["categories"] == ["HOUSEKEEPING", "IT", "MAINTENANCE", "SECURITY"]
    assert len(first["rules"]) == 12 and ("SECURITY", 1, 15) in first["rules"]
    assert first["policies"] == 6
    assert [status for _, status in first["tickets"]] == ["OPEN", "NEW", "OPEN", "NEW"]
    assert all(number.startswith(first["tickets"][0][0].split("#")[0]) for number, _ in first["tickets"])
