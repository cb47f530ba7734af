import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.assets.models import Asset
from apps.core.geo import to_geojson

AssetKind = graphene.Enum.from_enum(
    Asset.Kind, name="AssetKind", description="An asset, or a checkpoint a guard scans."
)
AssetStatus = graphene.Enum.from_enum(Asset.Status, name="AssetStatus", description="Working state of an asset.")


class AssetType(DjangoObjectType):
    """An asset or checkpoint at one of the caller's sites."""

    kind = graphene.Field(AssetKind, required=True)
    status = graphene.Field(AssetStatus, required=True)
    site_id = graphene.ID(required=True, description="Id of the asset's site.")
    area_id = graphene.ID(description="Id of the area (Location) within the site.")
    parent_id = graphene.ID(description="Id of the asset this one is part of.")
    asset_class_id = graphene.ID(description="Id of the asset class (a Lookup of kind ASSET_CLASS).")
    location = GenericScalar(description='GeoJSON Point in WGS 84: {"type": "Point", "coordinates": [lon, lat]}.')
    meter = GenericScalar(required=True, description="Meter attributes: unit, min, max, multiplier.")

    class Meta:
        model = Asset
        fields = ["id", "uuid", "code", "name", "tag", "is_active", "version", "created_at", "modified_at"]

    @staticmethod
    def resolve_kind(root: Asset, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_status(root: Asset, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_site_id(root: Asset, info: graphene.ResolveInfo) -> int:
        return root.site_id

    @staticmethod
    def resolve_area_id(root: Asset, info: graphene.ResolveInfo) -> int | None:
        return root.area_id

    @staticmethod
    def resolve_parent_id(root: Asset, info: graphene.ResolveInfo) -> int | None:
        return root.parent_id

    @staticmethod
    def resolve_asset_class_id(root: Asset, info: graphene.ResolveInfo) -> int | None:
        return root.asset_class_id

    @staticmethod
    def resolve_location(root: Asset, info: graphene.ResolveInfo) -> dict | None:
        return to_geojson(root.location)

    @staticmethod
    def resolve_meter(root: Asset, info: graphene.ResolveInfo) -> dict:
        return root.meter or {}
