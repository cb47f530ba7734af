"""Private networks are the operator's decision, never a tenant admin's.

Through every door a tenant admin has (REST, GraphQL, the admin), against a real loopback
receiver: there is no per-webhook switch any more; a webhook to 127.0.0.1 is refused at
registration and at delivery unless the operator's allow-list covers it; the
installation's own endpoints stay closed even then; and a delivery record keeps the
receiver's answer only when the operator asks for it, never from a private network.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.notifications import netguard, services
from apps.notifications.models import Webhook, WebhookDelivery

from .conftest import Receiver, deliver
from .factories import ALERT

pytestmark = pytest.mark.django_db


def create(persona: Any, **body: Any) -> Any:
    body.setdefault("events", ["alert.*"])
    return persona.client().post("/api/v1/webhooks/", body, format="json")


def webhooks(tenant: Any) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(Webhook.objects.order_by("pk").values_list("url", "description"))


def error_of(response: Any) -> tuple[int, str, dict[str, Any]]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"]


def ping_and_deliver(tenant: Any, persona: Any, webhook_id: int) -> dict[str, Any]:
    """Ping the webhook, run the attempt as the worker would, and read the delivery over REST."""
    client = persona.client()
    ping = client.post(f"/api/v1/webhooks/{webhook_id}/ping/")
    assert ping.status_code == 202, ping.content
    with tenant_context(tenant):
        deliver(tenant, WebhookDelivery.objects.get(pk=ping.json()["id"]))
    return client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/{ping.json()['id']}/").json()


def unchecked_webhook(tenant: Any, url: str) -> Webhook:
    """A webhook the service would refuse now (registered before the operator narrowed the
    allow-list, or before this guard), written with the ORM."""
    with tenant_context(tenant):
        return Webhook.objects.create(url=url, events=["alert.*"], secret="whsec_test")


def emit_and_deliver(tenant: Any) -> WebhookDelivery:
    with tenant_context(tenant):
        services.emit("alert.created", {"alert": ALERT})
        delivery = WebhookDelivery.objects.get()
    deliver(tenant, delivery)
    with tenant_context(tenant):
        return WebhookDelivery.objects.get(pk=delivery.pk)


# --- No per-webhook switch ---------------------------------------------------------------------


def test_the_default_allow_list_is_empty() -> None:
    # The test profile inherits the base module's default, the same in every profile.
    assert django_settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS == []
    assert django_settings.WEBHOOK_STORE_RESPONSE_BODY is False
    assert netguard.policy().allowed == ()


def test_rest_ignores_allow_private_network_and_still_refuses_a_loopback_url(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver
) -> None:
    """REST takes only the fields a webhook has (like every unknown field of the API), so
    the old switch is ignored: the URL alone decides, by the operator's rules."""
    refused = create(tenant_a_admin, url=receiver.url(), allow_private_network=True)
    assert error_of(refused) == (
        400,
        "private_address",
        {"field": "url", "address": "127.0.0.1", "reason": "loopback"},
    )
    assert webhooks(tenant_a) == []

    public = create(tenant_a_admin, url="https://hooks.example.invalid/in", allow_private_network=True)
    assert public.status_code == 201, public.content
    assert "allow_private_network" not in public.json()
    path = f"/api/v1/webhooks/{public.json()['id']}/"
    client = tenant_a_admin.client()
    patched = client.patch(path, {"allow_private_network": True, "description": "ERP"}, format="json")
    assert patched.status_code == 200 and "allow_private_network" not in patched.json()
    moved = client.patch(path, {"allow_private_network": True, "url": receiver.url()}, format="json")
    assert error_of(moved)[:2] == (400, "private_address")
    assert webhooks(tenant_a) == [("https://hooks.example.invalid/in", "ERP")]
    assert "allow_private_network" not in {field.name for field in Webhook._meta.get_fields()}
    assert receiver.connections == 0


def test_graphql_refuses_allow_private_network_as_an_unknown_field(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver
) -> None:
    token = tenant_a_admin.tokens().access
    mutation = "mutation C($input: WebhookInput!) { createWebhook(input: $input) { webhook { id } } }"
    sent = post_graphql(
        Client(),
        mutation,
        {"input": {"url": receiver.url(), "events": ["alert.*"], "allowPrivateNetwork": True}},
        token=token,
    )
    (error,) = sent.json()["errors"]
    assert error["extensions"]["code"] == "invalid_query"
    assert "Field 'allowPrivateNetwork' is not defined by type 'WebhookInput'" in error["message"]
    read = post_graphql(Client(), "{ webhooks { id allowPrivateNetwork } }", token=token)
    assert (read.status_code, read.json()["errors"][0]["extensions"]["code"]) == (400, "invalid_query")
    # Without the field, the loopback URL is refused as it is over REST.
    plain = post_graphql(Client(), mutation, {"input": {"url": receiver.url(), "events": ["alert.*"]}}, token=token)
    assert plain.json()["errors"][0]["extensions"] == {
        "code": "private_address",
        "details": {"field": "url", "address": "127.0.0.1", "reason": "loopback"},
    }
    assert webhooks(tenant_a) == []


def test_the_admin_has_no_such_field_and_ignores_it(tenant_a: Any, tenant_a_admin: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        webhook, _ = services.create_webhook(None, url="https://hooks.example.invalid/a", events=["alert.*"])
    client = Client()
    login = {"tenant": tenant_a.slug, "username": tenant_a_admin.login, "password": tenant_a_admin.password}
    assert client.post("/login/", login).status_code == 302
    path = f"/admin/notifications/webhook/{webhook.pk}/change/"
    page = client.get(path)
    assert page.status_code == 200 and b"allow_private_network" not in page.content
    form = {
        "url": receiver.url(),
        "events": "alert.*",
        "active": "on",
        "description": "",
        "allow_private_network": "on",
    }
    refused = client.post(path, form)
    assert refused.status_code == 200 and "private_address" in refused.content.decode()
    saved = client.post(path, {**form, "url": "https://hooks.example.invalid/b", "description": "kept"})
    assert saved.status_code == 302
    assert webhooks(tenant_a) == [("https://hooks.example.invalid/b", "kept")]
    assert receiver.connections == 0


# --- The operator's allow-list ------------------------------------------------------------------


def test_loopback_is_refused_at_registration_and_delivery_until_the_operator_allows_it(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, settings: Any
) -> None:
    assert error_of(create(tenant_a_admin, url=receiver.url()))[:2] == (400, "private_address")
    unchecked_webhook(tenant_a, receiver.url())
    refused = emit_and_deliver(tenant_a)
    assert (refused.status, refused.error_code, refused.response_code) == ("FAILED", "private_address", None)
    assert refused.last_error == (
        "Refused without connecting: 127.0.0.1 is a loopback address; the installation does not allow this network."
    )
    assert receiver.connections == 0
    with tenant_context(tenant_a):
        Webhook.objects.all().delete()

    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["10.20.0.0/16", "127.0.0.1/32"]
    created = create(tenant_a_admin, url=receiver.url())
    assert created.status_code == 201, created.content
    receiver.body = b"gunicorn says hello"
    record = ping_and_deliver(tenant_a, tenant_a_admin, created.json()["id"])
    assert {k: record[k] for k in ("status", "attempts", "response_code", "error_code", "response_excerpt")} == {
        "status": "SUCCEEDED",
        "attempts": 1,
        "response_code": 200,
        "error_code": "",
        "response_excerpt": "",
    }
    assert isinstance(record["duration_ms"], int)
    assert len(receiver.requests) == 1


def test_an_entry_with_a_port_opens_that_port_only(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = [f"127.0.0.1:{receiver.port}"]
    assert create(tenant_a_admin, url=receiver.url()).status_code == 201
    other_port = receiver.port + 1 if receiver.port < 65535 else receiver.port - 1
    assert error_of(create(tenant_a_admin, url=f"http://127.0.0.1:{other_port}/in")) == (
        400,
        "private_address",
        {"field": "url", "address": "127.0.0.1", "reason": "loopback"},
    )
    assert len(webhooks(tenant_a)) == 1


def test_the_installations_own_endpoints_stay_closed_inside_an_allowed_network(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    settings.INSTALLATION_ENDPOINTS = [f"127.0.0.1:{receiver.port}"]  # the receiver stands in for gunicorn
    for host in ("127.0.0.1", "127.0.0.2"):  # any loopback address reaches a service on loopback
        refused = create(tenant_a_admin, url=f"http://{host}:{receiver.port}/in")
        assert error_of(refused) == (
            400,
            "installation_address",
            {"field": "url", "address": host, "reason": "installation", "port": receiver.port},
        )
    assert webhooks(tenant_a) == []
    unchecked_webhook(tenant_a, receiver.url())
    refused_delivery = emit_and_deliver(tenant_a)
    assert (refused_delivery.status, refused_delivery.error_code) == ("FAILED", "installation_address")
    assert refused_delivery.last_error == (
        f"Refused without connecting: 127.0.0.1 port {receiver.port} belongs to this installation; "
        "webhooks cannot call this installation's own services."
    )
    assert receiver.connections == 0
    with tenant_context(tenant_a):
        Webhook.objects.all().delete()

    # Naming the address with that port is the operator's explicit decision.
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", f"127.0.0.1:{receiver.port}"]
    created = create(tenant_a_admin, url=receiver.url())
    assert created.status_code == 201
    assert ping_and_deliver(tenant_a, tenant_a_admin, created.json()["id"])["status"] == "SUCCEEDED"


def test_the_web_ports_and_the_stores_are_the_installations_by_default(tenant_a_admin: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    stores = {
        int(settings.DATABASES["default"]["PORT"] or 5432),
        urlsplit(settings.REDIS_URL).port or 6379,
        urlsplit(settings.MQTT_URL).port or 1883,
    }
    for port in sorted({8000, 8001, 8002} | stores):  # nginx, gunicorn, daphne of `make run`; the stores
        refused = create(tenant_a_admin, url=f"http://127.0.0.1:{port}/")
        assert error_of(refused)[:2] == (400, "installation_address"), port
    assert error_of(create(tenant_a_admin, url="http://[::1]:8001/"))[:2] == (400, "installation_address")


# --- What a delivery record keeps -------------------------------------------------------------


def test_no_answer_is_kept_by_default_nor_ever_from_a_private_network(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    receiver.body = b'{"internal": "port 8001 is gunicorn"}'
    webhook_id = create(tenant_a_admin, url=receiver.url()).json()["id"]
    assert ping_and_deliver(tenant_a, tenant_a_admin, webhook_id)["response_excerpt"] == ""
    settings.WEBHOOK_STORE_RESPONSE_BODY = True
    assert ping_and_deliver(tenant_a, tenant_a_admin, webhook_id)["response_excerpt"] == ""
    with tenant_context(tenant_a):
        assert list(WebhookDelivery.objects.values_list("response_code", "response_excerpt")) == [(200, "")] * 2


def test_the_operator_may_keep_the_answers_of_public_receivers(
    tenant_a: Any, tenant_a_admin: Any, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loopback receiver stands in for one on the internet: its address counts as public.
    real = netguard.address_problem
    monkeypatch.setattr(netguard, "address_problem", lambda a: None if str(a) == "127.0.0.1" else real(a))
    settings.WEBHOOK_STORE_RESPONSE_BODY = True
    receiver.body = "accepté ".encode() * 200
    webhook_id = create(tenant_a_admin, url=receiver.url()).json()["id"]
    record = ping_and_deliver(tenant_a, tenant_a_admin, webhook_id)
    kept = ("accepté " * 200).encode()[:1024].decode("utf-8", errors="replace")
    assert record["response_excerpt"] == kept
    query = "query D($w: ID!) { webhookDeliveries(webhookId: $w) { responseExcerpt } }"
    token = tenant_a_admin.tokens().access
    shown = post_graphql(Client(), query, {"w": webhook_id}, token=token).json()["data"]["webhookDeliveries"]
    assert shown == [{"responseExcerpt": kept}]

    # Turned off again: what was kept is hidden at once, though the row still holds it until purged.
    settings.WEBHOOK_STORE_RESPONSE_BODY = False
    client = tenant_a_admin.client()
    assert client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/{record['id']}/").json()["response_excerpt"] == ""
    hidden = post_graphql(Client(), query, {"w": webhook_id}, token=token).json()["data"]["webhookDeliveries"]
    assert hidden == [{"responseExcerpt": ""}]
    with tenant_context(tenant_a):
        assert WebhookDelivery.objects.get().response_excerpt == kept
