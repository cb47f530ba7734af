"""Factories for notifications tests and the tenant-isolation test (see apps/core/testing/isolation.py)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.notifications import services
from apps.notifications.models import NotificationLog, NotificationPreference, Webhook, WebhookDelivery
from apps.people.models import Person
from apps.people.services import create_person
from apps.tenants.models import Tenant

ALERT = {
    "id": 41,
    "title": "Panic button pressed",
    "type": "PANIC",
    "severity": "CRITICAL",
    "status": "NEW",
    "site": {"id": 7, "code": "NORTH", "name": "North Gate"},
    "url": "/noc/alerts/41/",
    "created_at": "2026-03-01T08:15:00+00:00",
}
TICKET = {
    "id": 12,
    "number": "NORTH#12",
    "title": "Broken fence",
    "status": "OPEN",
    "priority": "HIGH",
    "category": "Maintenance",
    "site": {"id": 7, "code": "NORTH", "name": "North Gate"},
    "url": "/helpdesk/tickets/12/",
    "assignee": "Asha Rao",
    "sla_due": "2026-03-01T12:00:00+00:00",
    "description": "The north fence is down near gate 2.",
}


def make_person(login: str | None = None, **fields: Any) -> Person:
    """A person of the tenant in context (e-mail ``<login>@example.com`` unless given)."""
    login = login or f"p-{uuid4().hex[:8]}"
    fields.setdefault("email", f"{login}@example.com")
    return create_person(login=login, name=login.title(), password=None, roles=[], **fields)


def make_webhook(url: str = "https://hooks.example.invalid/hooks", **fields: Any) -> tuple[Webhook, str]:
    """A webhook of the tenant in context, through the service (by default at a name that
    does not resolve: accepted at registration, never delivered)."""
    fields.setdefault("events", ["alert.*", "ticket.*"])
    return services.create_webhook(None, url=url, **fields)


@isolation_factory(Webhook)
def make_isolation_webhook(tenant: Tenant) -> Webhook:
    return make_webhook(f"https://hooks.example.invalid/{uuid4().hex[:8]}")[0]


@isolation_factory(WebhookDelivery)
def make_isolation_delivery(tenant: Tenant) -> WebhookDelivery:
    return services.ping_webhook(None, make_isolation_webhook(tenant))


@isolation_factory(NotificationLog)
def make_isolation_log(tenant: Tenant) -> NotificationLog:
    person = make_person()
    services.notify("alert.created", people=[person], context={"alert": ALERT})
    return NotificationLog.objects.get(person=person)


@isolation_factory(NotificationPreference)
def make_isolation_preference(tenant: Tenant) -> NotificationPreference:
    return services.set_preference(make_person(), "ticket.*", True)


@isolation_graphql_args("webhook")
def webhook_args(webhook: Webhook) -> dict[str, str]:
    return {"id": str(webhook.pk)}


@isolation_graphql_args("webhookDeliveries")
def delivery_args(delivery: WebhookDelivery) -> dict[str, str]:
    return {"webhookId": str(delivery.webhook_id)}
