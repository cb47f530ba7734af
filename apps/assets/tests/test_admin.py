"""Django admin of assets: the signed-in tenant only, writes validated by the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context

from .factories import make_asset, make_site

pytestmark = pytest.mark.django_db


def console_login(client: Client, persona: Any) -> None:
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content


def form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "ASSET",
        "code": "ADM-1",
        "name": "Boiler",
        "status": "WORKING",
        "site": world.north.pk,
        "area": "",
        "parent": "",
        "asset_class": world.pump.pk,
        "tag": "adm-tag",
        "meter": '{"unit": "bar", "max": 4}',
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_admin_lists_only_the_tenants_assets(tenant_a: Any, tenant_a_admin: Any, tenant_b: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        mine = make_asset(world.north, "ALPHA-ASSET")
    with tenant_context(tenant_b):
        foreign = make_asset(make_site(), "BRAVO-ASSET")
    client = Client()
    console_login(client, tenant_a_admin)
    page = client.get("/admin/assets/asset/")
    assert page.status_code == 200
    assert b"ALPHA-ASSET" in page.content and b"BRAVO-ASSET" not in page.content
    assert client.get(f"/admin/assets/asset/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/assets/asset/{foreign.pk}/change/").status_code == 302


def test_admin_add_goes_through_the_service(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        make_asset(world.south, "TAKEN", tag="adm-tag")
    client = Client()
    console_login(client, tenant_a_admin)

    refused = client.post("/admin/assets/asset/add/", form(world))
    assert refused.status_code == 200  # the form again, with the service's error
    assert b"Tag adm-tag is already used. (duplicate_tag)" in refused.content
    with tenant_context(tenant_a):
        assert list(Asset.objects.values_list("code", flat=True)) == ["TAKEN"]

    added = client.post("/admin/assets/asset/add/", form(world, tag="adm-new"))
    assert added.status_code == 302, added.content
    with tenant_context(tenant_a):
        asset = Asset.objects.get(code="ADM-1")
    assert (asset.site_id, asset.asset_class_id, asset.tag, asset.meter, asset.created_by_id) == (
        world.north.pk,
        world.pump.pk,
        "adm-new",
        {"unit": "bar", "max": 4},
        tenant_a_admin.person.pk,
    )


def test_admin_cannot_delete(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "KEEP")
    client = Client()
    console_login(client, tenant_a_admin)
    assert client.get(f"/admin/assets/asset/{asset.pk}/delete/").status_code == 403
