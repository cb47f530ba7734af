"""Query counts of the asset GraphQL lists: related rows travel as ids, so the lists cost the
same number of queries for 2 assets as for 6."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql

from .factories import make_asset

# What a supervisor's phone loads for a site round: the assets and the checkpoints to scan.
ASSETS = """
query {
  assets { id code kind status siteId areaId parentId assetClassId location meter }
  checkpoints { code tag siteId }
}
"""
# Authentication reads the person and their roles; then one query per list.
QUERIES = 2 + 2


def counted(persona: Any, query: str, expected: int, assert_num_queries: Any) -> Any:
    client, token = Client(), persona.tokens().access
    post_graphql(client, query, token=token)  # warm the per-process tenant cache
    with assert_num_queries(expected):
        response = post_graphql(client, query, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def add_pair(number: int, world: Any) -> tuple[Asset, Asset]:
    """A pump in the lobby of the supervisor's site and a checkpoint there (plus an asset at a
    site the supervisor does not see)."""
    pump = make_asset(
        world.north, f"PUMP-{number}", area=world.north_area, asset_class=world.pump, meter={"unit": "bar"}
    )
    checkpoint = make_asset(world.north, f"TAG-{number}", kind=Asset.Kind.CHECKPOINT, tag=f"tag-{number}")
    make_asset(world.south, f"SOUTH-{number}")
    return pump, checkpoint


def asset_row(asset: Asset) -> dict[str, Any]:
    return {
        "id": str(asset.pk),
        "code": asset.code,
        "kind": asset.kind,
        "status": "WORKING",
        "siteId": str(asset.site_id),
        "areaId": str(asset.area_id) if asset.area_id else None,
        "parentId": None,
        "assetClassId": str(asset.asset_class_id) if asset.asset_class_id else None,
        "location": None,
        "meter": asset.meter,
    }


def expected(pairs: list[tuple[Asset, Asset]]) -> dict[str, Any]:
    pumps, checkpoints = [pump for pump, _ in pairs], [checkpoint for _, checkpoint in pairs]
    return {
        "data": {
            # Both kinds in one list, by code within the site: the pumps, then the checkpoints.
            "assets": [asset_row(asset) for asset in pumps + checkpoints],
            "checkpoints": [{"code": c.code, "tag": c.tag, "siteId": str(c.site_id)} for c in checkpoints],
        }
    }


def test_asset_lists_cost_the_same_queries_for_two_rows_and_six(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, django_assert_num_queries: Any
) -> None:
    with tenant_context(tenant_a):
        pairs = [add_pair(number, world) for number in (1, 2)]
    few = counted(tenant_a_supervisor, ASSETS, QUERIES, django_assert_num_queries)
    assert few == expected(pairs)

    with tenant_context(tenant_a):
        pairs += [add_pair(number, world) for number in (3, 4, 5, 6)]
    many = counted(tenant_a_supervisor, ASSETS, QUERIES, django_assert_num_queries)
    assert many == expected(pairs)
