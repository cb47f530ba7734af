"""Django admin pages of notifications (the secret never shown) and the demo step."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.notifications import demo, services
from apps.notifications.models import NotificationLog, NotificationPreference, Webhook
from apps.tenants.management.commands.load_demo import demo_loaders

from .factories import ALERT, make_person, make_webhook

pytestmark = pytest.mark.django_db


def console_login(client: Client, persona: Any) -> None:
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content


@pytest.fixture
def admin_client(tenant_a_admin: Any) -> Client:
    client = Client()
    console_login(client, tenant_a_admin)
    return client


def test_webhook_pages_never_show_the_secret(tenant_a: Any, tenant_b: Any, admin_client: Client) -> None:
    with tenant_context(tenant_a):
        webhook, secret = make_webhook("https://hooks.example.invalid/alpha-hook")
        delivery = services.ping_webhook(None, webhook)
    with tenant_context(tenant_b):
        foreign, _ = make_webhook("https://hooks.example.invalid/bravo-hook")
    listing = admin_client.get("/admin/notifications/webhook/")
    assert listing.status_code == 200
    assert b"alpha-hook" in listing.content and b"bravo-hook" not in listing.content
    change = admin_client.get(f"/admin/notifications/webhook/{webhook.pk}/change/")
    assert change.status_code == 200
    assert secret.encode() not in change.content and b"whsec_" not in change.content
    assert admin_client.get(f"/admin/notifications/webhook/{foreign.pk}/change/").status_code == 302
    assert admin_client.get("/admin/notifications/webhook/add/").status_code == 403
    page = admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and secret.encode() not in page.content


def test_webhook_edits_go_through_the_service(tenant_a: Any, admin_client: Client) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook("https://hooks.example.invalid/a")
    path = f"/admin/notifications/webhook/{webhook.pk}/change/"
    form = {"url": "http://127.0.0.1/in", "events": "alert.*", "active": "on", "description": ""}
    refused = admin_client.post(path, form)
    assert refused.status_code == 200
    assert "private_address" in refused.content.decode()
    form.update(url="https://hooks.example.invalid/b", events="alert.*,ticket.escalated")
    assert admin_client.post(path, form).status_code == 302
    with tenant_context(tenant_a):
        saved = Webhook.objects.get()
    assert (saved.url, saved.events) == ("https://hooks.example.invalid/b", ["alert.*", "ticket.escalated"])
    bad_event = admin_client.post(path, {**form, "events": "alert.deleted"})
    assert "unknown_event" in bad_event.content.decode()


def test_logs_and_deliveries_are_read_only(tenant_a: Any, admin_client: Client) -> None:
    with tenant_context(tenant_a):
        person = make_person("asha")
        services.notify("alert.created", people=[person], context={"alert": ALERT})
        log = NotificationLog.objects.get(person=person)
    assert admin_client.get("/admin/notifications/notificationlog/").status_code == 200
    page = admin_client.get(f"/admin/notifications/notificationlog/{log.pk}/change/")
    assert page.status_code == 200 and b"Panic button pressed" in page.content
    assert admin_client.get("/admin/notifications/notificationlog/add/").status_code == 403
    assert admin_client.post(f"/admin/notifications/notificationlog/{log.pk}/delete/").status_code == 403


def test_preferences_are_edited_with_known_events_only(tenant_a: Any, admin_client: Client) -> None:
    with tenant_context(tenant_a):
        person = make_person("asha")
    refused = admin_client.post(
        "/admin/notifications/notificationpreference/add/", {"person": person.pk, "event": "ticket.gone", "muted": "on"}
    )
    assert "unknown_event" in refused.content.decode()
    added = admin_client.post(
        "/admin/notifications/notificationpreference/add/", {"person": person.pk, "event": "ticket.*", "muted": "on"}
    )
    assert added.status_code == 302
    with tenant_context(tenant_a):
        assert list(NotificationPreference.objects.values_list("person_id", "event", "muted")) == [
            (person.pk, "ticket.*", True)
        ]


def test_the_demo_adds_one_inactive_webhook_however_often_it_runs(tenant_a: Any) -> None:
    assert demo.load_webhooks in demo_loaders()
    said: list[str] = []
    with tenant_context(tenant_a):
        demo.load_webhooks(tenant_a, said.append)
        secret = Webhook.objects.get().secret
        demo.load_webhooks(tenant_a, said.append)
        webhook = Webhook.objects.get()
    assert (webhook.url, webhook.active, webhook.events, webhook.secret) == (
        "https://example.com/hooks",
        False,
        ["alert.*", "ticket.*"],
        secret,
    )
    assert said == [
        "  webhooks: https://example.com/hooks (created, inactive)",
        "  webhooks: https://example.com/hooks (kept, inactive)",
    ]
    with tenant_context(tenant_a):
        services.emit("alert.created", {"alert": ALERT})
        assert webhook.deliveries.count() == 0
