"""GraphQL types of the sites app. Related rows travel as ids; geometries as GeoJSON."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.core.geo import to_geojson
from apps.sites.models import Client, Location, Shift, Site, SiteGroup

POINT_HELP = 'GeoJSON Point in WGS 84: {"type": "Point", "coordinates": [lon, lat]}.'
POLYGON_HELP = "GeoJSON Polygon in WGS 84; rings are closed lists of [lon, lat]."


class ClientType(DjangoObjectType):
    """A customer of the tenant."""

    preferences = GenericScalar(required=True)

    class Meta:
        model = Client
        fields = ["id", "uuid", "code", "name", "contract_start", "contract_end", "is_active", "version"]


class SiteType(DjangoObjectType):
    """A site the caller may see."""

    client_id = graphene.ID(required=True, description="Id of the site's client.")
    in_charge_id = graphene.ID(description="Id of the person in charge.")
    location = GenericScalar(required=True, description=POINT_HELP)
    geofence = GenericScalar(description=POLYGON_HELP)
    options = GenericScalar(required=True)

    class Meta:
        model = Site
        fields = ["id", "uuid", "code", "name", "address", "radius_m", "timezone", "is_active", "version"]

    @staticmethod
    def resolve_client_id(root: Site, info: graphene.ResolveInfo) -> int:
        return root.client_id

    @staticmethod
    def resolve_in_charge_id(root: Site, info: graphene.ResolveInfo) -> int | None:
        return root.in_charge_id

    @staticmethod
    def resolve_location(root: Site, info: graphene.ResolveInfo) -> Any:
        return to_geojson(root.location)

    @staticmethod
    def resolve_geofence(root: Site, info: graphene.ResolveInfo) -> Any:
        return to_geojson(root.geofence)


class SiteGroupType(DjangoObjectType):
    """A named, ordered set of sites."""

    site_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Ids of the member sites the caller may see, in order.",
    )

    class Meta:
        model = SiteGroup
        fields = ["id", "uuid", "code", "name", "is_active", "version"]

    @staticmethod
    def resolve_site_ids(root: SiteGroup, info: graphene.ResolveInfo) -> list[int]:
        # ``members`` is prefetched by the query, already narrowed to the caller's sites.
        return [member.site_id for member in root.members.all()]


class ShiftType(DjangoObjectType):
    """A shift at a site; ``overnight`` when it ends the next day."""

    site_id = graphene.ID(required=True)
    designation_id = graphene.ID(description="Id of the designation (a Lookup of kind DESIGNATION).")
    overnight = graphene.Boolean(required=True)

    class Meta:
        model = Shift
        fields = ["id", "uuid", "name", "start_time", "end_time", "headcount", "is_active", "version"]

    @staticmethod
    def resolve_site_id(root: Shift, info: graphene.ResolveInfo) -> int:
        return root.site_id

    @staticmethod
    def resolve_designation_id(root: Shift, info: graphene.ResolveInfo) -> int | None:
        return root.designation_id


class LocationType(DjangoObjectType):
    """An area (building, floor, zone) within a site."""

    site_id = graphene.ID(required=True)
    parent_id = graphene.ID(description="Id of the enclosing area.")

    class Meta:
        model = Location
        fields = ["id", "uuid", "code", "name", "is_active", "version"]

    @staticmethod
    def resolve_site_id(root: Location, info: graphene.ResolveInfo) -> int:
        return root.site_id

    @staticmethod
    def resolve_parent_id(root: Location, info: graphene.ResolveInfo) -> int | None:
        return root.parent_id
