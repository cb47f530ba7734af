"""An open socket is re-checked: logout, deactivation, a lost capability or an expired
token closes it. WS_RECHECK_SECONDS is shortened so the checks come quickly."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from apps.core.tenancy import tenant_context
from apps.people.models import Person, RoleAssignment
from apps.people.services import revoke_refresh

from .test_noc_socket import TIMEOUT, hello_of, issue_ticket, ws

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def closing_message(communicator: Any) -> tuple[Any, Any]:
    message = await communicator.receive_json_from(timeout=TIMEOUT)
    close = await communicator.receive_output(timeout=TIMEOUT)
    return message, close


@override_settings(WS_RECHECK_SECONDS=0.2)
async def test_logout_closes_an_open_socket(tenant_a_supervisor):
    pair = await sync_to_async(tenant_a_supervisor.tokens)()
    async with ws(token=pair.access) as (communicator, accepted, _):
        assert accepted
        await hello_of(communicator)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        await sync_to_async(revoke_refresh)(refresh=pair.refresh)
        message, close = await closing_message(communicator)
        assert message == {"type": "closing", "code": "token_revoked"}
        assert close == {"type": "websocket.close", "code": 4401}


@override_settings(WS_RECHECK_SECONDS=0.2)
async def test_losing_the_capability_closes_a_ticket_socket(tenant_a_supervisor):
    ticket = (await issue_ticket(tenant_a_supervisor))["ticket"]

    def demote() -> None:
        with tenant_context(tenant_a_supervisor.tenant):
            RoleAssignment.objects.filter(person=tenant_a_supervisor.person).delete()

    async with ws(f"/ws/noc/?ticket={ticket}") as (communicator, accepted, _):
        assert accepted
        await hello_of(communicator)
        await sync_to_async(demote)()
        message, close = await closing_message(communicator)
        assert message == {"type": "closing", "code": "permission_denied"}
        assert close == {"type": "websocket.close", "code": 4403}


@override_settings(WS_RECHECK_SECONDS=0.2)
async def test_deactivating_the_person_closes_the_socket(tenant_a_supervisor):
    access = (await sync_to_async(tenant_a_supervisor.tokens)()).access

    def deactivate() -> None:
        with tenant_context(tenant_a_supervisor.tenant):
            Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(is_active=False)

    async with ws(token=access) as (communicator, accepted, _):
        assert accepted
        await hello_of(communicator)
        await sync_to_async(deactivate)()
        message, close = await closing_message(communicator)
        assert message == {"type": "closing", "code": "account_inactive"}
        assert close == {"type": "websocket.close", "code": 4401}


@override_settings(JWT_ACCESS_TTL_SECONDS=1, WS_RECHECK_SECONDS=60)
async def test_socket_closes_when_its_token_expires(tenant_a_supervisor):
    access = (await sync_to_async(tenant_a_supervisor.tokens)()).access
    async with ws(token=access) as (communicator, accepted, _):
        assert accepted
        await hello_of(communicator)
        message, close = await closing_message(communicator)
        assert message == {"type": "closing", "code": "token_expired"}
        assert close == {"type": "websocket.close", "code": 4401}


@override_settings(WS_RECHECK_SECONDS=0.2)
async def test_a_valid_socket_stays_open_across_checks(tenant_a_supervisor):
    access = (await sync_to_async(tenant_a_supervisor.tokens)()).access
    async with ws(token=access) as (communicator, accepted, _):
        assert accepted
        await hello_of(communicator)
        assert await communicator.receive_nothing(timeout=1.0)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
