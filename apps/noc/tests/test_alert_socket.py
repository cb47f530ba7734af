"""Alerts on the dashboard socket, end to end (real Redis channel layer, PostgreSQL):
pushed on commit, and only to the people who may see the alert's site."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import override_settings

from apps.core.tenancy import tenant_context
from apps.noc import services
from apps.noc.models import Alert
from apps.sites.models import SiteAssignment

from .factories import make_window
from .test_noc_socket import TIMEOUT, access_of, hello_of, ws

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def raise_at(tenant: Any, site: Any, key: str, **fields: Any) -> Alert:
    with tenant_context(tenant):
        return services.raise_alert(
            type=fields.pop("type", "GEOFENCE_BREACH"),
            severity=fields.pop("severity", "HIGH"),
            dedupe_key=key,
            title=fields.pop("title", "Guard left the site"),
            site=site,
            **fields,
        )


async def test_an_alert_reaches_only_the_sockets_that_may_see_its_site(
    tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, world: Any
) -> None:
    tenant = tenant_a_admin.tenant
    async with (
        ws(token=await access_of(tenant_a_admin)) as (admin, admin_ok, _),
        ws(token=await access_of(tenant_a_supervisor)) as (supervisor, supervisor_ok, _),
        ws(token=await access_of(tenant_b_admin)) as (other_tenant, other_ok, _),
    ):
        assert (admin_ok, supervisor_ok, other_ok) == (True, True, True)
        for socket in (admin, supervisor, other_tenant):
            await hello_of(socket)

        south = await database_sync_to_async(raise_at)(tenant, world.south, "south-1", title="Fence cut")
        message = await admin.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["request_id"]) == ("alert.created", None)
        assert {key: message["payload"][key] for key in ("id", "status", "severity", "title", "site_id")} == {
            "id": south.pk,
            "status": "NEW",
            "severity": "HIGH",
            "title": "Fence cut",
            "site_id": world.south.pk,
        }
        assert (message["payload"]["site_code"], message["payload"]["occurrences"]) == ("SOUTH", 1)
        assert await supervisor.receive_nothing(timeout=0.5) is True

        north = await database_sync_to_async(raise_at)(tenant, world.north, "north-1")
        for socket in (admin, supervisor):
            message = await socket.receive_json_from(timeout=TIMEOUT)
            assert (message["type"], message["payload"]["id"]) == ("alert.created", north.pk)

        # A repeat is an update, to the same sockets.
        await database_sync_to_async(raise_at)(tenant, world.north, "north-1")
        for socket in (admin, supervisor):
            message = await socket.receive_json_from(timeout=TIMEOUT)
            assert (message["type"], message["payload"]["id"], message["payload"]["occurrences"]) == (
                "alert.updated",
                north.pk,
                2,
            )

        # An alert without a site is for those who see every site.
        siteless = await database_sync_to_async(raise_at)(tenant, None, "tenant-wide", type="DEVICE_OFFLINE")
        message = await admin.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["payload"]["id"], message["payload"]["site_id"]) == (
            "alert.created",
            siteless.pk,
            None,
        )
        assert await supervisor.receive_nothing(timeout=0.3) is True
        assert await other_tenant.receive_nothing(timeout=0.3) is True


async def test_acting_on_an_alert_over_rest_updates_the_dashboards(
    tenant_a_admin: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    tenant = tenant_a_admin.tenant
    alert = await database_sync_to_async(raise_at)(tenant, world.north, "north-ack")

    def acknowledge() -> Any:
        return tenant_a_supervisor.client().post(
            f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "On my way"}, format="json"
        )

    async with (
        ws(token=await access_of(tenant_a_admin)) as (admin, _a, _),
        ws(token=await access_of(tenant_a_supervisor)) as (supervisor, _s, _),
    ):
        await hello_of(admin)
        await hello_of(supervisor)
        response = await sync_to_async(acknowledge)()
        assert response.status_code == 200, response.content
        for socket in (admin, supervisor):
            message = await socket.receive_json_from(timeout=TIMEOUT)
            assert message["type"] == "alert.updated"
            assert message["request_id"] == response["X-Request-ID"]
            payload = message["payload"]
            assert (payload["id"], payload["status"], payload["acknowledged_by"]) == (
                alert.pk,
                "ACKNOWLEDGED",
                {"id": tenant_a_supervisor.person.pk, "name": "Supervisor"},
            )


async def test_a_suppressed_alert_is_not_pushed_until_it_comes_back(tenant_a_admin: Any, world: Any) -> None:
    tenant = tenant_a_admin.tenant

    def open_window() -> Any:
        with tenant_context(tenant):
            return make_window(world.north)

    def close_window(window: Any) -> None:
        with tenant_context(tenant):
            window.delete()

    window = await database_sync_to_async(open_window)()
    async with ws(token=await access_of(tenant_a_admin)) as (admin, accepted, _):
        assert accepted
        await hello_of(admin)
        alert = await database_sync_to_async(raise_at)(tenant, world.north, "quiet", severity="CRITICAL")
        assert alert.status == "SUPPRESSED"
        assert await admin.receive_nothing(timeout=0.5) is True

        await database_sync_to_async(close_window)(window)
        await database_sync_to_async(raise_at)(tenant, world.north, "quiet", severity="CRITICAL")
        message = await admin.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["payload"]["id"], message["payload"]["status"]) == (
            "alert.created",
            alert.pk,
            "NEW",
        )


@override_settings(WS_RECHECK_SECONDS=0.2)
async def test_a_new_site_assignment_reaches_an_open_socket(tenant_a_supervisor: Any, world: Any) -> None:
    tenant = tenant_a_supervisor.tenant

    def assign(site: Any) -> None:
        with tenant_context(tenant):
            SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=site)

    def unassign(site: Any) -> None:
        with tenant_context(tenant):
            SiteAssignment.objects.filter(person=tenant_a_supervisor.person, site=site).delete()

    async with ws(token=await access_of(tenant_a_supervisor)) as (supervisor, accepted, _):
        assert accepted
        await hello_of(supervisor)
        await database_sync_to_async(raise_at)(tenant, world.south, "before")
        assert await supervisor.receive_nothing(timeout=0.5) is True

        await database_sync_to_async(assign)(world.south)
        await asyncio.sleep(0.6)  # a few re-checks
        after = await database_sync_to_async(raise_at)(tenant, world.south, "after")
        message = await supervisor.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["payload"]["id"]) == ("alert.created", after.pk)

        await database_sync_to_async(unassign)(world.north)
        await asyncio.sleep(0.6)
        await database_sync_to_async(raise_at)(tenant, world.north, "north-after")
        assert await supervisor.receive_nothing(timeout=0.5) is True
