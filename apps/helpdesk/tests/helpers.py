"""Small helpers shared by the helpdesk tests."""

from __future__ import annotations

from typing import Any

from apps.core.tenancy import tenant_context
from apps.helpdesk.models import Ticket, TicketEvent

TICKETS = "/api/v1/tickets/"


def url(ticket_id: Any, tail: str = "") -> str:
    return f"{TICKETS}{ticket_id}/{tail}"


def error(response: Any) -> tuple[int, str, dict[str, Any]]:
    payload = response.json()["error"]
    return response.status_code, payload["code"], payload["details"]


def ticket_row(tenant: Any, pk: int) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.select_related("site").get(pk=pk)


def ticket_count(tenant: Any) -> int:
    with tenant_context(tenant):
        return Ticket.objects.count()


def events(tenant: Any, pk: int) -> list[tuple[str, str, Any, Any]]:
    with tenant_context(tenant):
        rows = TicketEvent.objects.filter(ticket_id=pk).order_by("created_at", "pk")
        return [(row.kind, row.field, row.old_value, row.new_value) for row in rows]


def notifications(tenant: Any, event: str | None = None) -> list[tuple[str, str]]:
    """(event, login) of every e-mail notification recorded, in order."""
    from apps.notifications.models import NotificationLog

    with tenant_context(tenant):
        rows = NotificationLog.objects.select_related("person").order_by("pk")
        if event is not None:
            rows = rows.filter(event=event)
        return [(row.event, row.person.login) for row in rows]


def deliveries(tenant: Any) -> list[tuple[str, dict[str, Any]]]:
    """(event, payload) of every webhook delivery queued, oldest first."""
    from apps.notifications.models import WebhookDelivery

    with tenant_context(tenant):
        return [(row.event, row.payload) for row in WebhookDelivery.objects.order_by("pk")]


def subscribe(tenant: Any, events: list[str] | None = None) -> Any:
    """A webhook of ``tenant`` subscribed to every ticket event (made directly: no DNS check)."""
    from apps.notifications.models import Webhook

    with tenant_context(tenant):
        return Webhook.objects.create(
            url="https://hooks.example.com/in", events=events or ["ticket.*"], secret="s" * 40
        )
