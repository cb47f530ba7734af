"""Assets over GraphQL: typed lists scoped like REST, mutations with coded errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql

from .factories import make_asset

pytestmark = pytest.mark.django_db

ASSETS = """
query Assets($kind: AssetKind, $siteId: ID, $status: AssetStatus) {
  assets(kind: $kind, siteId: $siteId, status: $status) {
    id code kind status siteId areaId parentId assetClassId location tag meter isActive
  }
}
"""
CHECKPOINTS = "query { checkpoints { code kind } }"
CREATE = """
mutation Create($input: AssetInput!) {
  createAsset(input: $input) { asset { id code name kind status siteId areaId assetClassId location tag meter } }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: AssetInput!) {
  updateAsset(id: $id, input: $input) { asset { id name status areaId tag } }
}
"""
SCRAP = "mutation Scrap($id: ID!) { scrapAsset(id: $id) { asset { id status isActive } } }"


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes_of(body: Any) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def test_lists_are_typed_and_filtered(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        pump = make_asset(
            world.north,
            "PUMP-1",
            area=world.north_area,
            asset_class=world.pump,
            tag="pump-tag",
            meter={"unit": "bar", "max": 16},
            location="SRID=4326;POINT(55.27 25.2)",
        )
        gate = make_asset(world.south, "GATE-1", kind=Asset.Kind.CHECKPOINT, status=Asset.Status.STANDBY)
    body = gql(tenant_a_admin, ASSETS)
    assert body == {
        "data": {
            "assets": [
                {
                    "id": str(pump.pk),
                    "code": "PUMP-1",
                    "kind": "ASSET",
                    "status": "WORKING",
                    "siteId": str(world.north.pk),
                    "areaId": str(world.north_area.pk),
                    "parentId": None,
                    "assetClassId": str(world.pump.pk),
                    "location": {"type": "Point", "coordinates": [55.27, 25.2]},
                    "tag": "pump-tag",
                    "meter": {"unit": "bar", "max": 16},
                    "isActive": True,
                },
                {
                    "id": str(gate.pk),
                    "code": "GATE-1",
                    "kind": "CHECKPOINT",
                    "status": "STANDBY",
                    "siteId": str(world.south.pk),
                    "areaId": None,
                    "parentId": None,
                    "assetClassId": None,
                    "location": None,
                    "tag": "",
                    "meter": {},
                    "isActive": True,
                },
            ]
        }
    }
    only = gql(tenant_a_admin, ASSETS, {"kind": "CHECKPOINT"})["data"]["assets"]
    assert [item["code"] for item in only] == ["GATE-1"]
    by_site = gql(tenant_a_admin, ASSETS, {"siteId": str(world.north.pk)})["data"]["assets"]
    assert [item["code"] for item in by_site] == ["PUMP-1"]
    standby = gql(tenant_a_admin, ASSETS, {"status": "STANDBY"})["data"]["assets"]
    assert [item["code"] for item in standby] == ["GATE-1"]
    assert gql(tenant_a_admin, CHECKPOINTS) == {"data": {"checkpoints": [{"code": "GATE-1", "kind": "CHECKPOINT"}]}}


def test_lists_are_scoped_to_sites_and_tenant(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, tenant_a_guard: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        make_asset(world.north, "N-1", kind=Asset.Kind.CHECKPOINT)
        make_asset(world.south, "S-1", kind=Asset.Kind.CHECKPOINT)
    assert [item["code"] for item in gql(tenant_a_supervisor, ASSETS)["data"]["assets"]] == ["N-1"]
    assert gql(tenant_a_supervisor, ASSETS, {"siteId": str(world.south.pk)})["data"]["assets"] == []
    assert gql(tenant_a_supervisor, CHECKPOINTS)["data"]["checkpoints"] == [{"code": "N-1", "kind": "CHECKPOINT"}]
    assert gql(tenant_b_admin, ASSETS) == {"data": {"assets": []}}
    assert gql(tenant_b_admin, ASSETS, {"siteId": str(world.north.pk)}) == {"data": {"assets": []}}
    assert codes_of(gql(tenant_a_guard, ASSETS)) == ["permission_denied"]


def test_create_update_scrap(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    created = gql(
        tenant_a_admin,
        CREATE,
        {
            "input": {
                "code": "CP-9",
                "name": "Back door",
                "kind": "CHECKPOINT",
                "siteId": str(world.north.pk),
                "areaId": str(world.north_area.pk),
                "assetClassId": str(world.pump.pk),
                "location": {"type": "Point", "coordinates": [55.1, 25.3]},
                "tag": "cp-9",
                "meter": {"unit": "kWh", "min": 0, "max": 10},
            }
        },
    )
    assert "errors" not in created, created
    asset_id = created["data"]["createAsset"]["asset"]["id"]
    assert created["data"]["createAsset"]["asset"] == {
        "id": asset_id,
        "code": "CP-9",
        "name": "Back door",
        "kind": "CHECKPOINT",
        "status": "WORKING",
        "siteId": str(world.north.pk),
        "areaId": str(world.north_area.pk),
        "assetClassId": str(world.pump.pk),
        "location": {"type": "Point", "coordinates": [55.1, 25.3]},
        "tag": "cp-9",
        "meter": {"unit": "kWh", "min": 0, "max": 10},
    }
    updated = gql(
        tenant_a_admin,
        UPDATE,
        {"id": asset_id, "input": {"name": "Rear door", "status": "MAINTENANCE", "areaId": None}},
    )
    assert updated == {
        "data": {
            "updateAsset": {
                "asset": {"id": asset_id, "name": "Rear door", "status": "MAINTENANCE", "areaId": None, "tag": "cp-9"}
            }
        }
    }
    scrapped = gql(tenant_a_admin, SCRAP, {"id": asset_id})
    assert scrapped == {"data": {"scrapAsset": {"asset": {"id": asset_id, "status": "SCRAPPED", "isActive": True}}}}
    with tenant_context(tenant_a):
        row = Asset.objects.get(pk=asset_id)
    assert (row.name, row.status, row.area_id, row.tag) == ("Rear door", "SCRAPPED", None, "cp-9")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"siteId": "987654"}, "unknown_site"),
        ({"areaId": "SOUTH_AREA"}, "area_not_in_site"),
        ({"assetClassId": "DEPARTMENT"}, "invalid_asset_class"),
        ({"code": "TAKEN"}, "duplicate_code"),
        ({"tag": "taken"}, "duplicate_tag"),
        ({"meter": {"min": 5, "max": 1}}, "invalid_meter"),
        ({"location": {"type": "Point", "coordinates": [0, 95]}}, "latitude_out_of_range"),
    ],
)
def test_create_errors_carry_codes_and_write_nothing(
    tenant_a: Any, tenant_a_admin: Any, world: Any, overrides: dict, code: str
) -> None:
    with tenant_context(tenant_a):
        make_asset(world.south, "TAKEN", tag="taken")
    symbolic = {"SOUTH_AREA": str(world.south_area.pk), "DEPARTMENT": str(world.department.pk)}
    data = {"code": "NEW", "name": "New", "siteId": str(world.north.pk)}
    data.update(
        {key: symbolic.get(value, value) if isinstance(value, str) else value for key, value in overrides.items()}
    )
    body = gql(tenant_a_admin, CREATE, {"input": data})
    assert body["data"] == {"createAsset": None}
    assert codes_of(body) == [code]
    with tenant_context(tenant_a):
        assert list(Asset.objects.values_list("code", flat=True)) == ["TAKEN"]


def test_mutations_need_manage_and_scope(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "N-1")
    denied = gql(tenant_a_supervisor, SCRAP, {"id": str(asset.pk)})
    assert codes_of(denied) == ["permission_denied"]
    other = gql(tenant_b_admin, UPDATE, {"id": str(asset.pk), "input": {"name": "x"}})
    assert codes_of(other) == ["not_found"]
    other_scrap = gql(tenant_b_admin, SCRAP, {"id": str(asset.pk)})
    assert codes_of(other_scrap) == ["not_found"]
    with tenant_context(tenant_a):
        row = Asset.objects.get(pk=asset.pk)
    assert (row.name, row.status) == ("Asset N-1", "WORKING")
