"""Django admin of assets: the signed-in tenant only, writes validated by the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
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


def test_admin_change_goes_through_the_service(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "ADM-1", tag="adm-tag")
    client = Client()
    console_login(client, tenant_a_admin)

    refused = client.post(f"/admin/assets/asset/{asset.pk}/change/", form(world, area=world.south_area.pk))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert errors == {"area": [f"Area {world.south_area.pk} is not in site NORTH. (area_not_in_site)"]}
    with tenant_context(tenant_a):
        unchanged = Asset.objects.get(pk=asset.pk)
    assert (unchanged.area_id, unchanged.name, unchanged.version) == (None, "Asset ADM-1", asset.version)

    changed = client.post(
        f"/admin/assets/asset/{asset.pk}/change/", form(world, name="Boiler 2", area=world.north_area.pk)
    )
    assert changed.status_code == 302, changed.content
    with tenant_context(tenant_a):
        saved = Asset.objects.get(pk=asset.pk)
    assert (saved.name, saved.area_id, saved.meter, saved.modified_by_id) == (
        "Boiler 2",
        world.north_area.pk,
        {"unit": "bar", "max": 4},
        tenant_a_admin.person.pk,
    )
    assert saved.version > asset.version


def test_admin_delete_deactivates(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "KEEP")
    client = Client()
    console_login(client, tenant_a_admin)

    page = client.get(f"/admin/assets/asset/{asset.pk}/delete/")
    assert page.status_code == 200
    assert page.context["deleted_objects"] == [
        "Asset: KEEP Asset KEEP (deactivated; it is not deleted, nor is anything that refers to it)"
    ]
    response = client.post(f"/admin/assets/asset/{asset.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        kept = Asset.objects.get(pk=asset.pk)
        logged = list(LogEntry.objects.filter(object_id=str(asset.pk)).values_list("action_flag", "change_message"))
    assert (kept.is_active, kept.status) == (False, Asset.Status.WORKING)
    assert logged == [(CHANGE, "Deactivated instead of deleted.")]


def test_admin_bulk_action_deactivates(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        first, second, _ = (make_asset(world.north, code) for code in ("B-1", "B-2", "B-3"))
    client = Client()
    console_login(client, tenant_a_admin)

    listing = client.get("/admin/assets/asset/")
    assert [name for name, _ in listing.context["action_form"].fields["action"].choices] == [
        "",
        "deactivate_selected",
    ]
    response = client.post(
        "/admin/assets/asset/", {"action": "deactivate_selected", "_selected_action": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert dict(Asset.objects.values_list("code", "is_active")) == {"B-1": False, "B-2": False, "B-3": True}
