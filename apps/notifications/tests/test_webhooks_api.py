"""``/api/v1/webhooks/`` as an integrator's admin uses it: register, read, change, rotate,
ping, follow deliveries and replay them; bad input changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.notifications import services
from apps.notifications.models import Webhook, WebhookDelivery

from .conftest import Receiver, deliver
from .factories import ALERT, make_webhook

pytestmark = pytest.mark.django_db

SECRET_LENGTH = 49


def create(persona: Any, **body: Any) -> Any:
    body.setdefault("events", ["alert.*"])
    return persona.client().post("/api/v1/webhooks/", body, format="json")


def count(tenant: Any) -> int:
    with tenant_context(tenant):
        return Webhook.objects.count()


def test_register_shows_the_secret_once(tenant_a: Any, tenant_a_admin: Any) -> None:
    response = create(
        tenant_a_admin,
        url="https://hooks.partner.invalid/youtility",
        events=["alert.*", "ticket.escalated", "alert.*"],
        description="ERP",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body.pop("secret")
    assert secret.startswith("whsec_") and len(secret) == SECRET_LENGTH
    with tenant_context(tenant_a):
        webhook = Webhook.objects.get()
    assert body == {
        "id": webhook.pk,
        "uuid": str(webhook.uuid),
        "url": "https://hooks.partner.invalid/youtility",
        "events": ["alert.*", "ticket.escalated"],
        "active": True,
        "description": "ERP",
        "version": webhook.version,
        "created_at": body["created_at"],
        "modified_at": body["modified_at"],
    }
    assert webhook.secret == secret
    client = tenant_a_admin.client()
    listed = client.get("/api/v1/webhooks/").json()
    detail = client.get(f"/api/v1/webhooks/{webhook.pk}/").json()
    assert listed["count"] == 1 and listed["results"] == [detail]
    assert "secret" not in detail and secret not in json.dumps(listed)


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        ({"url": "ftp://hooks.example.com/in"}, "invalid_url", {"field": "url", "reason": "scheme"}),
        ({"url": "https://me:pw@hooks.example.com/"}, "invalid_url", {"field": "url", "reason": "credentials"}),
        ({"url": "https://hooks.example.com/" + "a" * 2100}, "invalid_url", {"field": "url", "reason": "too_long"}),
        (
            {"url": "http://127.0.0.1:8000/in"},
            "private_address",
            {"field": "url", "address": "127.0.0.1", "reason": "loopback"},
        ),
        (
            {"url": "http://localhost/in"},
            "private_address",
            {"field": "url", "address": "127.0.0.1", "reason": "loopback"},
        ),
        ({"url": "http://[::1]/in"}, "private_address", {"field": "url", "address": "::1", "reason": "loopback"}),
        (
            {"url": "http://10.0.0.8/in"},
            "private_address",
            {"field": "url", "address": "10.0.0.8", "reason": "private"},
        ),
        (
            {"url": "http://169.254.169.254/latest/meta-data/"},
            "private_address",
            {"field": "url", "address": "169.254.169.254", "reason": "link_local"},
        ),
    ],
)
def test_bad_urls_are_refused_and_nothing_is_registered(
    tenant_a: Any, tenant_a_admin: Any, body: dict[str, Any], code: str, details: dict[str, Any]
) -> None:
    response = create(tenant_a_admin, **body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (code, details)
    assert count(tenant_a) == 0


def test_unknown_events_are_refused(tenant_a: Any, tenant_a_admin: Any) -> None:
    response = create(
        tenant_a_admin, url="https://hooks.example.invalid/", events=["alert.*", "workorder.*", "ticket.closed"]
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_event"
    assert error["details"]["unknown"] == ["workorder.*", "ticket.closed"]
    assert error["details"]["families"] == ["alert.*", "job.*", "ticket.*"]
    empty = create(tenant_a_admin, url="https://hooks.example.invalid/", events=[])
    assert empty.json()["error"]["code"] == "no_events"
    many = create(tenant_a_admin, url="https://hooks.example.invalid/", events=["alert.created", "alert.created"])
    assert many.status_code == 201  # duplicates collapse
    assert count(tenant_a) == 1


def test_a_network_the_operator_closes_again_is_checked_on_the_next_edit(
    tenant_a: Any, tenant_a_admin: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["10.0.0.0/8"]
    webhook = create(tenant_a_admin, url="http://10.0.0.8/in").json()
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    client = tenant_a_admin.client()
    response = client.patch(f"/api/v1/webhooks/{webhook['id']}/", {"description": "ERP"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "private_address"
    assert client.get(f"/api/v1/webhooks/{webhook['id']}/").json()["description"] == ""


def test_change_rotate_and_delete(tenant_a: Any, tenant_a_admin: Any) -> None:
    created = create(tenant_a_admin, url="https://hooks.example.invalid/a").json()
    client = tenant_a_admin.client()
    path = f"/api/v1/webhooks/{created['id']}/"
    changed = client.patch(path, {"events": ["ticket.*"], "active": False, "description": "paused"}, format="json")
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("events", "active", "description")} == {
        "events": ["ticket.*"],
        "active": False,
        "description": "paused",
    }
    assert "secret" not in changed.json()
    rotated = client.post(f"{path}rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"] and len(new_secret) == SECRET_LENGTH
    with tenant_context(tenant_a):
        assert Webhook.objects.get().secret == new_secret
    assert client.delete(path).status_code == 204
    assert count(tenant_a) == 0
    assert client.get(path).status_code == 404


def test_the_tenant_has_a_webhook_limit(tenant_a: Any, tenant_a_admin: Any, settings: Any) -> None:
    settings.WEBHOOKS_PER_TENANT_MAX = 2
    assert create(tenant_a_admin, url="https://a.example.invalid/").status_code == 201
    assert create(tenant_a_admin, url="https://b.example.invalid/").status_code == 201
    third = create(tenant_a_admin, url="https://c.example.invalid/")
    assert (third.status_code, third.json()["error"]["code"]) == (409, "too_many_webhooks")
    assert count(tenant_a) == 2


@pytest.mark.parametrize("persona", ["tenant_a_supervisor", "tenant_a_guard", "tenant_a_client"])
def test_only_tenant_admins_manage_webhooks(tenant_a: Any, persona: str, request: Any) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook()
    client = request.getfixturevalue(persona).client()
    for method, path, body in [
        ("get", "/api/v1/webhooks/", None),
        ("get", f"/api/v1/webhooks/{webhook.pk}/", None),
        ("post", "/api/v1/webhooks/", {"url": "https://x.example.invalid/", "events": ["alert.*"]}),
        ("post", f"/api/v1/webhooks/{webhook.pk}/rotate-secret/", None),
        ("post", f"/api/v1/webhooks/{webhook.pk}/ping/", None),
        ("get", f"/api/v1/webhooks/{webhook.pk}/deliveries/", None),
        ("delete", f"/api/v1/webhooks/{webhook.pk}/", None),
    ]:
        response = getattr(client, method)(path, body, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied"), path
    with tenant_context(tenant_a):
        assert (Webhook.objects.get().secret, WebhookDelivery.objects.count()) == (webhook.secret, 0)


def test_another_tenants_admin_reaches_nothing(tenant_a: Any, tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a):
        webhook, secret = make_webhook()
        delivery = services.ping_webhook(None, webhook)
    client = tenant_b_admin.client()
    base = f"/api/v1/webhooks/{webhook.pk}"
    for method, path in [
        ("get", f"{base}/"),
        ("patch", f"{base}/"),
        ("delete", f"{base}/"),
        ("post", f"{base}/rotate-secret/"),
        ("post", f"{base}/ping/"),
        ("get", f"{base}/deliveries/"),
        ("get", f"{base}/deliveries/{delivery.pk}/"),
        ("post", f"{base}/deliveries/{delivery.pk}/replay/"),
    ]:
        response = getattr(client, method)(path, {"active": False}, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path
    with tenant_context(tenant_a):
        assert Webhook.objects.get().secret == secret and Webhook.objects.get().active
        assert WebhookDelivery.objects.count() == 1


@pytest.mark.usefixtures("loopback_allowed")
def test_ping_deliveries_and_replay(tenant_a: Any, tenant_a_admin: Any, receiver: Receiver) -> None:
    client = tenant_a_admin.client()
    created = create(tenant_a_admin, url=receiver.url(), events=["ticket.*"]).json()
    base = f"/api/v1/webhooks/{created['id']}"

    ping = client.post(f"{base}/ping/")
    assert ping.status_code == 202
    assert {k: ping.json()[k] for k in ("event", "status", "attempts", "webhook", "replay_of")} == {
        "event": "ping",
        "status": "PENDING",
        "attempts": 0,
        "webhook": created["id"],
        "replay_of": None,
    }
    with tenant_context(tenant_a):
        delivery = WebhookDelivery.objects.get()
    deliver(tenant_a, delivery)
    (request,) = receiver.requests
    assert request.headers["x-youtility-event"] == "ping"
    body = request.body
    timestamp, signature = (part.split("=", 1)[1] for part in request.headers["x-youtility-signature"].split(","))
    assert (
        signature == hmac.new(created["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    )
    assert json.loads(body)["data"] == {
        "webhook": created["id"],
        "message": "Test event from Youtility.",
        "sent_by": "admin",
    }

    listed = client.get(f"{base}/deliveries/").json()
    assert listed["count"] == 1
    (item,) = listed["results"]
    assert item == client.get(f"{base}/deliveries/{delivery.pk}/").json()
    assert {k: item[k] for k in ("status", "attempts", "response_code", "response_excerpt", "error_code")} == {
        "status": "SUCCEEDED",
        "attempts": 1,
        "response_code": 200,
        "response_excerpt": "",  # kept only when the operator asks, and never from a private network
        "error_code": "",
    }

    replay = client.post(f"{base}/deliveries/{delivery.pk}/replay/")
    assert replay.status_code == 202
    assert (replay.json()["replay_of"], replay.json()["event"]) == (delivery.pk, "ping")
    assert replay.json()["uuid"] != str(delivery.uuid)
    with tenant_context(tenant_a):
        copy = WebhookDelivery.objects.get(pk=replay.json()["id"])
    deliver(tenant_a, copy)
    assert [r.headers["x-youtility-delivery"] for r in receiver.requests] == [str(delivery.uuid), str(copy.uuid)]
    assert json.loads(receiver.requests[1].body)["data"] == json.loads(body)["data"]


def test_deliveries_filter_by_status_and_event(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook()
        other, _ = make_webhook("https://hooks.example.invalid/other")
        services.emit("alert.created", {"alert": ALERT})
        services.emit("ticket.created", {"n": 1})
        services.emit("alert.updated", {"alert": ALERT})
        WebhookDelivery.objects.filter(webhook=webhook, event="alert.created").update(status="FAILED")
        mine = {d.event: d.pk for d in WebhookDelivery.objects.filter(webhook=webhook)}
        theirs = WebhookDelivery.objects.filter(webhook=other).first()
    client = tenant_a_admin.client()
    base = f"/api/v1/webhooks/{webhook.pk}/deliveries/"

    def ids(query: str) -> list[int]:
        response = client.get(base + query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids("") == [mine["alert.updated"], mine["ticket.created"], mine["alert.created"]]
    assert ids("?status=FAILED") == [mine["alert.created"]]
    assert ids("?status=PENDING&event=alert.updated") == [mine["alert.updated"]]
    assert ids("?event=alert.escalated") == []
    assert ids("?page_size=1")[0] == mine["alert.updated"]
    bad = client.get(base + "?status=LOST")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid")
    # Another webhook's delivery is not found under this one.
    assert theirs is not None
    assert client.get(f"{base}{theirs.pk}/").status_code == 404
    assert client.post(f"{base}{theirs.pk}/replay/").status_code == 404


def test_an_inactive_webhook_is_not_pinged(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook(active=False)
    response = tenant_a_admin.client().post(f"/api/v1/webhooks/{webhook.pk}/ping/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "webhook_inactive")
    with tenant_context(tenant_a):
        assert WebhookDelivery.objects.count() == 0


def test_a_large_body_is_refused_before_parsing(tenant_a_admin: Any) -> None:
    response = create(tenant_a_admin, url="https://x.example.invalid/", description="d" * (2 * 1024 * 1024))
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")


@pytest.mark.usefixtures("loopback_allowed")
def test_the_secret_never_reaches_the_logs(tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, caplog: Any) -> None:
    caplog.set_level("DEBUG")
    created = create(tenant_a_admin, url=receiver.url()).json()
    client = tenant_a_admin.client()
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    client.post(f"/api/v1/webhooks/{created['id']}/ping/")
    with tenant_context(tenant_a):
        deliver(tenant_a, WebhookDelivery.objects.get())
    assert receiver.requests
    logged = caplog.text + " ".join(str(record.msg) for record in caplog.records)
    assert "notifications.webhook_attempt" in logged
    assert created["secret"] not in logged and rotated["secret"] not in logged
