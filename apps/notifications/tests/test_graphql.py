"""The same webhooks, deliveries, logs and preferences over GraphQL, with the same codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.notifications import services
from apps.notifications.models import Webhook, WebhookDelivery

from .factories import ALERT, make_person, make_webhook

pytestmark = pytest.mark.django_db


def gql(persona: Any, query: str, **variables: Any) -> dict[str, Any]:
    response = post_graphql(Client(), query, variables or None, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


CREATE = """
mutation Create($input: WebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events active description } }
}"""


def test_create_update_rotate_and_delete(tenant_a: Any, tenant_a_admin: Any) -> None:
    body = gql(
        tenant_a_admin,
        CREATE,
        input={"url": "https://hooks.example.invalid/y", "events": ["ticket.*"], "description": "Payroll"},
    )
    created = body["data"]["createWebhook"]
    with tenant_context(tenant_a):
        webhook = Webhook.objects.get()
    assert created == {
        "secret": webhook.secret,
        "webhook": {
            "id": str(webhook.pk),
            "url": "https://hooks.example.invalid/y",
            "events": ["ticket.*"],
            "active": True,
            "description": "Payroll",
        },
    }
    updated = gql(
        tenant_a_admin,
        "mutation U($id: ID!, $input: WebhookInput!) { updateWebhook(id: $id, input: $input) { webhook { events active } } }",
        id=webhook.pk,
        input={"events": ["alert.escalated"], "active": False},
    )
    assert updated["data"]["updateWebhook"]["webhook"] == {"events": ["alert.escalated"], "active": False}
    rotated = gql(
        tenant_a_admin, "mutation R($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }", id=webhook.pk
    )
    with tenant_context(tenant_a):
        assert rotated["data"]["rotateWebhookSecret"]["secret"] == Webhook.objects.get().secret != created["secret"]
    deleted = gql(tenant_a_admin, "mutation D($id: ID!) { deleteWebhook(id: $id) { deleted } }", id=webhook.pk)
    assert deleted["data"]["deleteWebhook"] == {"deleted": True}
    with tenant_context(tenant_a):
        assert Webhook.objects.count() == 0


def test_the_secret_is_not_a_field_of_a_webhook(tenant_a_admin: Any) -> None:
    response = post_graphql(Client(), "{ webhooks { id secret } }", token=tenant_a_admin.tokens().access)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": "Cannot query field 'secret' on type 'WebhookType'.",
        "locations": [{"line": 1, "column": 17}],
        "extensions": {"code": "invalid_query"},
    }


@pytest.mark.parametrize(
    ("webhook_input", "code"),
    [
        ({"url": "gopher://hooks.example.invalid/", "events": ["alert.*"]}, "invalid_url"),
        ({"url": "http://169.254.169.254/", "events": ["alert.*"]}, "private_address"),
        ({"url": "https://hooks.example.invalid/", "events": ["workorder.*"]}, "unknown_event"),
    ],
)
def test_bad_input_comes_back_with_its_code(tenant_a: Any, tenant_a_admin: Any, webhook_input: Any, code: str) -> None:
    body = gql(tenant_a_admin, CREATE, input=webhook_input)
    assert body["data"] == {"createWebhook": None}
    assert body["errors"][0]["extensions"]["code"] == code
    with tenant_context(tenant_a):
        assert Webhook.objects.count() == 0


def test_supervisors_may_not(tenant_a: Any, tenant_a_supervisor: Any) -> None:
    body = gql(tenant_a_supervisor, CREATE, input={"url": "https://x.example.invalid/", "events": ["alert.*"]})
    assert body["errors"][0]["extensions"]["code"] == "permission_denied"
    assert gql(tenant_a_supervisor, "{ webhooks { id } }")["errors"][0]["extensions"]["code"] == "permission_denied"
    logs = gql(tenant_a_supervisor, "{ notificationLogs { id } }")
    assert logs["errors"][0]["extensions"]["code"] == "permission_denied"


def test_ping_list_deliveries_and_replay(tenant_a: Any, tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook(events=["alert.*"])
        services.emit("alert.created", {"alert": ALERT})
    ping = gql(
        tenant_a_admin, "mutation P($id: ID!) { pingWebhook(id: $id) { delivery { id event status } } }", id=webhook.pk
    )
    ping_id = ping["data"]["pingWebhook"]["delivery"]["id"]
    assert ping["data"]["pingWebhook"]["delivery"]["event"] == "ping"

    query = """query D($id: ID!, $status: WebhookDeliveryStatus, $event: String) {
      webhookDeliveries(webhookId: $id, status: $status, event: $event) { id event status attempts webhookId payload }
    }"""
    listed = gql(tenant_a_admin, query, id=webhook.pk)["data"]["webhookDeliveries"]
    assert [(d["event"], d["status"], d["attempts"]) for d in listed] == [
        ("ping", "PENDING", 0),
        ("alert.created", "PENDING", 0),
    ]
    assert listed[1]["payload"] == {"alert": ALERT} and listed[1]["webhookId"] == str(webhook.pk)
    only_alerts = gql(tenant_a_admin, query, id=webhook.pk, event="alert.created")["data"]["webhookDeliveries"]
    assert [d["event"] for d in only_alerts] == ["alert.created"]
    assert gql(tenant_a_admin, query, id=webhook.pk, status="FAILED")["data"]["webhookDeliveries"] == []

    replay = gql(
        tenant_a_admin,
        "mutation R($w: ID!, $d: ID!) { replayWebhookDelivery(webhookId: $w, deliveryId: $d) { delivery { id replayOfId event } } }",
        w=webhook.pk,
        d=listed[1]["id"],
    )
    assert replay["data"]["replayWebhookDelivery"]["delivery"]["replayOfId"] == listed[1]["id"]
    with tenant_context(tenant_a):
        assert WebhookDelivery.objects.count() == 3

    # Tenant B: nothing to see, nothing to replay.
    assert gql(tenant_b_admin, query, id=webhook.pk)["data"]["webhookDeliveries"] == []
    crossed = gql(
        tenant_b_admin,
        "mutation R($w: ID!, $d: ID!) { replayWebhookDelivery(webhookId: $w, deliveryId: $d) { delivery { id } } }",
        w=webhook.pk,
        d=ping_id,
    )
    assert crossed["errors"][0]["extensions"]["code"] == "not_found"
    with tenant_context(tenant_a):
        assert WebhookDelivery.objects.count() == 3


def test_logs_preferences_and_events(tenant_a: Any, tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    with tenant_context(tenant_a):
        asha = make_person("asha")
        services.notify("alert.created", people=[asha], context={"alert": ALERT})
    logs = gql(tenant_a_admin, "{ notificationLogs(status: PENDING) { event email status personId subject } }")
    assert logs["data"]["notificationLogs"] == [
        {
            "event": "alert.created",
            "email": "asha@example.com",
            "status": "PENDING",
            "personId": str(asha.pk),
            "subject": "[CRITICAL] Panic button pressed at North Gate",
        }
    ]
    mutation = """mutation S($p: [PreferenceInput!]!) {
      setMyNotificationPreferences(preferences: $p) { preferences { event muted } }
    }"""
    saved = gql(tenant_a_guard, mutation, p=[{"event": "alert.*", "muted": True}])
    assert saved["data"]["setMyNotificationPreferences"]["preferences"] == [{"event": "alert.*", "muted": True}]
    mine = gql(tenant_a_guard, "{ myNotificationPreferences { event muted } notificationEvents { name } }")
    assert mine["data"]["myNotificationPreferences"] == [{"event": "alert.*", "muted": True}]
    assert [e["name"] for e in mine["data"]["notificationEvents"]][:2] == ["alert.created", "alert.updated"]
    refused = gql(tenant_a_guard, mutation, p=[{"event": "alarm.*", "muted": True}])
    assert refused["errors"][0]["extensions"]["code"] == "unknown_event"
    assert gql(tenant_a_admin, "{ myNotificationPreferences { event } }")["data"]["myNotificationPreferences"] == []
