"""Asset mutations: parse, call the service, render; domain errors carry ``extensions.code``."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar

from apps.assets import selectors, services
from apps.core.graphql import require_capability

from .types import AssetKind, AssetStatus, AssetType

# GraphQL argument name -> service field name.
_FIELDS = {
    "kind": "kind",
    "code": "code",
    "name": "name",
    "status": "status",
    "site_id": "site_id",
    "area_id": "area_id",
    "parent_id": "parent_id",
    "asset_class_id": "asset_class_id",
    "location": "location",
    "tag": "tag",
    "meter": "meter",
    "is_active": "is_active",
}


class AssetInput(graphene.InputObjectType):
    """Fields of an asset; on update only the fields given change (null clears an optional one)."""

    kind = AssetKind()
    code = graphene.String()
    name = graphene.String()
    status = AssetStatus()
    site_id = graphene.ID()
    area_id = graphene.ID()
    parent_id = graphene.ID()
    asset_class_id = graphene.ID()
    location = GenericScalar(description='GeoJSON Point: {"type": "Point", "coordinates": [lon, lat]}.')
    tag = graphene.String(description="QR/NFC payload, unique in the tenant.")
    meter = GenericScalar(description="Meter attributes: unit, min, max, multiplier.")
    is_active = graphene.Boolean()


def _fields(data: Any) -> dict[str, Any]:
    """The input's fields that were sent (omitted ones are left alone), enums as their values."""
    fields: dict[str, Any] = {}
    for name, target in _FIELDS.items():
        if name in data:
            value = data[name]
            fields[target] = getattr(value, "value", value)
    return fields


class CreateAsset(graphene.Mutation):
    """Create an asset or checkpoint at one of the caller's sites (needs sites.manage)."""

    class Arguments:
        input = AssetInput(required=True)

    asset = graphene.Field(AssetType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateAsset:
        user = require_capability(info, "sites.manage")
        asset = services.create_asset(user, **_fields(input))
        return CreateAsset(asset=asset)


class UpdateAsset(graphene.Mutation):
    """Change an asset (needs sites.manage); a scrapped one only by an administrator."""

    class Arguments:
        id = graphene.ID(required=True)
        input = AssetInput(required=True)

    asset = graphene.Field(AssetType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateAsset:
        user = require_capability(info, "sites.manage")
        asset = services.update_asset(user, selectors.get_asset_for(user, id), **_fields(input))
        return UpdateAsset(asset=asset)


class ScrapAsset(graphene.Mutation):
    """Mark an asset SCRAPPED; it is kept for history (needs sites.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    asset = graphene.Field(AssetType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> ScrapAsset:
        user = require_capability(info, "sites.manage")
        asset = services.scrap_asset(user, selectors.get_asset_for(user, id))
        return ScrapAsset(asset=asset)


class AssetMutations(graphene.ObjectType):
    create_asset = CreateAsset.Field()
    update_asset = UpdateAsset.Field()
    scrap_asset = ScrapAsset.Field()
