"""The NOC WebSocket end to end: the full ASGI stack (origin check, router, consumer)
against the real Redis channel layer and PostgreSQL.

Every socket is closed in a ``finally`` so a failing assertion leaves no consumer task
running into the next test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.core import context
from apps.core.realtime import publish_on_commit
from apps.core.tenancy import tenant_context
from apps.people.services import revoke_refresh
from youtility.asgi import application

# The suite's personas (conftest.py): .person, .tenant, .tokens(device_id), .client(device_id).
Persona = Any

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NOC = "/ws/noc/"
# Authentication runs database queries in a worker thread; leave room for a busy machine.
TIMEOUT = 5


@asynccontextmanager
async def ws(
    path: str = NOC, *, token: str | None = None, origin: str | None = None, device_id: str | None = None
) -> AsyncIterator[tuple[WebsocketCommunicator, bool, Any]]:
    """Open a socket and yield (communicator, accepted, subprotocol or close code)."""
    headers: list[tuple[bytes, bytes]] = []
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if device_id is not None:
        headers.append((b"x-device-id", device_id.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        accepted, detail = await communicator.connect(timeout=TIMEOUT)
        yield communicator, accepted, detail
    finally:
        if communicator.future.done():
            if not communicator.future.cancelled():
                communicator.future.result()  # surface an exception the application died with
        else:
            # On timeout the communicator cancels the application and waits for it, so
            # nothing outlives the test; a consumer parked in the channel layer's
            # blocking Redis read can need that second cancellation.
            await communicator.disconnect(timeout=1)


async def access_of(persona: Persona, device_id: str = "") -> str:
    """A fresh access token (signing in queries the database, so off the event loop)."""
    pair = await sync_to_async(persona.tokens)(device_id)
    return str(pair.access)


async def hello_of(communicator: WebsocketCommunicator) -> Any:
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def issue_ticket(persona: Persona) -> dict[str, Any]:
    def post() -> tuple[int, Any]:
        response = persona.client().post("/api/v1/auth/ws-ticket/")
        return response.status_code, response.json()

    status, body = await sync_to_async(post)()
    assert status == 201
    assert sorted(body) == ["expires_in", "ticket"]
    assert body["expires_in"] == 30
    assert len(body["ticket"]) == 43
    return body


def publish_committed(tenant: Any, event: str, payload: dict[str, Any], request_id: str | None = None) -> None:
    """What a service does: change something and announce it, inside one transaction."""
    bound = context.bind_request_id(request_id) if request_id is not None else None
    try:
        with tenant_context(tenant), transaction.atomic(using=tenant.db_alias):
            publish_on_commit(tenant.id, "noc", event, payload)
    finally:
        if bound is not None:
            context.reset_request_id(bound)


class Boom(Exception):
    pass


def publish_rolled_back(tenant: Any, event: str, payload: dict[str, Any]) -> None:
    with pytest.raises(Boom), tenant_context(tenant), transaction.atomic(using=tenant.db_alias):
        publish_on_commit(tenant.id, "noc", event, payload)
        raise Boom


# --- authentication ----------------------------------------------------------------------


async def test_bearer_token_connects_and_says_hello(tenant_a_supervisor: Persona) -> None:
    access = await access_of(tenant_a_supervisor)
    async with ws(token=access) as (socket, accepted, _):
        assert accepted is True
        assert await hello_of(socket) == {"type": "hello", "tenant": "alpha", "person": "supervisor", "channel": "noc"}


async def test_ticket_connects_once(tenant_a_supervisor: Persona) -> None:
    ticket = (await issue_ticket(tenant_a_supervisor))["ticket"]
    async with ws(f"{NOC}?ticket={ticket}", origin="http://localhost") as (socket, accepted, _):
        assert accepted is True
        assert await hello_of(socket) == {"type": "hello", "tenant": "alpha", "person": "supervisor", "channel": "noc"}
    async with ws(f"{NOC}?ticket={ticket}", origin="http://localhost") as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_made_up_ticket_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws(f"{NOC}?ticket=not-a-ticket-we-issued-0123456789abcdefghijk") as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_overlong_ticket_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws(f"{NOC}?ticket={'x' * 200}") as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_no_credentials_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws() as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_garbage_token_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws(token="not.a.jwt") as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_expired_token_is_refused(tenant_a_supervisor: Persona, settings: Any) -> None:
    settings.JWT_ACCESS_TTL_SECONDS = -60
    expired = await sync_to_async(tenant_a_supervisor.tokens)()
    settings.JWT_ACCESS_TTL_SECONDS = 600
    async with ws(token=expired.access) as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_revoked_token_is_refused(tenant_a_supervisor: Persona) -> None:
    pair = await sync_to_async(tenant_a_supervisor.tokens)()
    async with ws(token=pair.access) as (_, accepted, _code):
        assert accepted is True  # the same token works until it is revoked
    await sync_to_async(revoke_refresh)(refresh=pair.refresh)
    async with ws(token=pair.access) as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_ticket_of_inactive_person_is_refused(tenant_a_supervisor: Persona) -> None:
    ticket = (await issue_ticket(tenant_a_supervisor))["ticket"]

    def deactivate() -> None:
        with tenant_context(tenant_a_supervisor.tenant):
            tenant_a_supervisor.person.is_active = False
            tenant_a_supervisor.person.save(update_fields=["is_active"])

    await sync_to_async(deactivate)()
    async with ws(f"{NOC}?ticket={ticket}") as (_, accepted, code):
        assert (accepted, code) == (False, 4401)


async def test_guard_without_noc_view_is_refused(tenant_a_guard: Persona) -> None:
    async with ws(token=await access_of(tenant_a_guard)) as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


async def test_guard_ticket_is_refused(tenant_a_guard: Persona) -> None:
    ticket = (await issue_ticket(tenant_a_guard))["ticket"]
    async with ws(f"{NOC}?ticket={ticket}") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


# --- device binding ----------------------------------------------------------------------


@pytest.fixture
def bound_supervisor(tenant_a_supervisor: Persona) -> Persona:
    with tenant_context(tenant_a_supervisor.tenant):
        tenant_a_supervisor.person.bound_device_id = "phone-1"
        tenant_a_supervisor.person.save(update_fields=["bound_device_id"])
    return tenant_a_supervisor


async def test_bound_person_connects_from_their_device(bound_supervisor: Persona) -> None:
    access = await access_of(bound_supervisor, "phone-1")
    async with ws(token=access, device_id="phone-1") as (socket, accepted, _):
        assert accepted is True
        assert await hello_of(socket) == {"type": "hello", "tenant": "alpha", "person": "supervisor", "channel": "noc"}


async def test_bound_person_from_another_device_is_refused(bound_supervisor: Persona) -> None:
    access = await access_of(bound_supervisor, "phone-1")
    async with ws(token=access, device_id="phone-2") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


async def test_bound_person_without_device_header_is_refused(bound_supervisor: Persona) -> None:
    access = await access_of(bound_supervisor, "phone-1")
    async with ws(token=access) as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


# --- origin ------------------------------------------------------------------------------


async def test_foreign_origin_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor), origin="https://evil.example") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


async def test_null_origin_is_refused(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor), origin="null") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


async def test_own_origin_is_accepted(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor), origin="http://localhost") as (socket, accepted, _):
        assert accepted is True
        assert (await hello_of(socket))["type"] == "hello"


async def test_no_origin_with_token_is_accepted(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        assert (await hello_of(socket))["type"] == "hello"


async def test_trusted_origin_wildcard_matches_scheme_and_subdomain(
    tenant_a_supervisor: Persona, settings: Any
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.youtility.example"]
    access = await access_of(tenant_a_supervisor)
    async with ws(token=access, origin="https://noc.youtility.example") as (_, accepted, _detail):
        assert accepted is True
    async with ws(token=access, origin="http://noc.youtility.example") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)
    async with ws(token=access, origin="https://youtility.example.evil.example") as (_, accepted, code):
        assert (accepted, code) == (False, 4403)


# --- tenant groups and publishing --------------------------------------------------------


ALERT = {
    "alert_id": 17,
    "severity": "HIGH",
    "site": "HQ",
    "raised_at": datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    "distance_m": Decimal("12.50"),
}
ALERT_AS_SENT = {
    "alert_id": 17,
    "severity": "HIGH",
    "site": "HQ",
    "raised_at": "2025-03-04T05:06:07Z",
    "distance_m": "12.50",
}


async def test_committed_event_reaches_only_its_tenant(tenant_a_supervisor: Persona, tenant_b_admin: Persona) -> None:
    async with (
        ws(token=await access_of(tenant_a_supervisor)) as (socket_a, accepted_a, _),
        ws(token=await access_of(tenant_b_admin)) as (socket_b, accepted_b, _),
    ):
        assert (accepted_a, accepted_b) == (True, True)
        assert (await hello_of(socket_a))["tenant"] == "alpha"
        assert (await hello_of(socket_b))["tenant"] == "bravo"

        await database_sync_to_async(publish_committed)(
            tenant_a_supervisor.tenant, "alert.created", ALERT, request_id="req-noc-0001"
        )

        assert await socket_a.receive_json_from(timeout=TIMEOUT) == {
            "type": "alert.created",
            "payload": ALERT_AS_SENT,
            "request_id": "req-noc-0001",
        }
        assert await socket_b.receive_nothing(timeout=0.5) is True


async def test_event_without_request_context_carries_null_request_id(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        await hello_of(socket)
        await database_sync_to_async(publish_committed)(tenant_a_supervisor.tenant, "alert.created", {"alert_id": 1})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {
            "type": "alert.created",
            "payload": {"alert_id": 1},
            "request_id": None,
        }


async def test_request_id_of_the_http_request_travels_to_the_socket(tenant_a_supervisor: Persona) -> None:
    """The correlation id the middleware binds is the one read at publish time."""

    def publish_during_request() -> None:
        # RequestIdMiddleware binds the id exactly like this for the length of a request.
        bound = context.bind_request_id(context.clean_request_id("client-chosen-42"))
        try:
            with tenant_context(tenant_a_supervisor.tenant), transaction.atomic():
                publish_on_commit(tenant_a_supervisor.tenant.id, "noc", "alert.acknowledged", {"alert_id": 3})
        finally:
            context.reset_request_id(bound)

    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        await hello_of(socket)
        await database_sync_to_async(publish_during_request)()
        message = await socket.receive_json_from(timeout=TIMEOUT)
        assert message == {"type": "alert.acknowledged", "payload": {"alert_id": 3}, "request_id": "client-chosen-42"}


async def test_rolled_back_event_is_never_sent(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        await hello_of(socket)

        await database_sync_to_async(publish_rolled_back)(tenant_a_supervisor.tenant, "alert.created", {"alert_id": 99})
        assert await socket.receive_nothing(timeout=0.5) is True

        # A committed event after it arrives first: the rolled-back one was not merely late.
        await database_sync_to_async(publish_committed)(tenant_a_supervisor.tenant, "alert.created", {"alert_id": 100})
        message = await socket.receive_json_from(timeout=TIMEOUT)
        assert message == {"type": "alert.created", "payload": {"alert_id": 100}, "request_id": None}
        assert await socket.receive_nothing(timeout=0.3) is True


async def test_unserialisable_payload_fails_inside_the_transaction(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        await hello_of(socket)
        with pytest.raises(TypeError):
            await database_sync_to_async(publish_committed)(
                tenant_a_supervisor.tenant, "alert.created", {"blob": object()}
            )
        assert await socket.receive_nothing(timeout=0.3) is True


# --- client messages ---------------------------------------------------------------------


async def test_ping_pong_and_unsupported_messages(tenant_a_supervisor: Persona) -> None:
    async with ws(token=await access_of(tenant_a_supervisor)) as (socket, accepted, _):
        assert accepted is True
        await hello_of(socket)

        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}

        await socket.send_json_to({"type": "subscribe", "tenant": "bravo"})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "error", "code": "unsupported_message"}

        await socket.send_json_to(["ping"])
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "error", "code": "unsupported_message"}

        await socket.send_to(text_data="{not json")
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "error", "code": "invalid_json"}

        await socket.send_to(bytes_data=b"\x00\x01")
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "error", "code": "unsupported_message"}

        # Still open and answering after the bad frames.
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
