"""Client and site mutations: parse, call the service, return the row or a coded error.

Geometries arrive as GeoJSON and are validated by ``apps.core.geo.parse_geojson``, so a
bad one fails with the same code as over REST (``invalid_polygon``, ``invalid_srid``, ...).
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar

from apps.core.geo import parse_geojson
from apps.core.graphql import require_capability
from apps.sites import selectors, services

from .types import POINT_HELP, POLYGON_HELP, ClientType, SiteType

MANAGE = "sites.manage"


def _site_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop omitted arguments and parse geometries; ``geofence: null`` on update clears it."""
    parsed: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "location" and value is not None:
            parsed[name] = parse_geojson(value, "Point")
        elif name == "geofence":
            parsed[name] = parse_geojson(value, "Polygon") if value is not None else None
        elif name in {"client_id", "in_charge_id"} and value is not None:
            parsed[name] = int(value) if str(value).isdigit() else value
        elif value is not None:
            parsed[name] = value
    return parsed


class SiteArguments:
    code = graphene.String()
    name = graphene.String()
    client_id = graphene.ID()
    address = graphene.String()
    location = GenericScalar(description=POINT_HELP)
    geofence = GenericScalar(description=POLYGON_HELP + " null removes it.")
    radius_m = graphene.Int()
    timezone = graphene.String()
    in_charge_id = graphene.ID()
    options = GenericScalar()
    is_active = graphene.Boolean()


class CreateSite(graphene.Mutation):
    """Create a site of a client (needs sites.manage)."""

    class Arguments(SiteArguments):
        code = graphene.String(required=True)
        name = graphene.String(required=True)
        client_id = graphene.ID(required=True)
        location = GenericScalar(required=True, description=POINT_HELP)

    site = graphene.Field(SiteType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, **fields: Any) -> CreateSite:
        user = require_capability(info, MANAGE)
        site = services.create_site(actor=user, **_site_fields(fields))
        return CreateSite(site=site)


class UpdateSite(graphene.Mutation):
    """Change the given fields of a site (needs sites.manage)."""

    class Arguments(SiteArguments):
        id = graphene.ID(required=True)

    site = graphene.Field(SiteType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, **fields: Any) -> UpdateSite:
        user = require_capability(info, MANAGE)
        site = selectors.get_site_for(user, id)
        site = services.update_site(site, actor=user, **_site_fields(fields))
        return UpdateSite(site=site)


class DeactivateSite(graphene.Mutation):
    """Deactivate a site; it is kept for the history that refers to it (needs sites.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    site = graphene.Field(SiteType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeactivateSite:
        user = require_capability(info, MANAGE)
        site = services.deactivate_site(selectors.get_site_for(user, id), actor=user)
        return DeactivateSite(site=site)


class ClientArguments:
    code = graphene.String()
    name = graphene.String()
    contract_start = graphene.Date()
    contract_end = graphene.Date()
    preferences = GenericScalar()
    is_active = graphene.Boolean()


class CreateClient(graphene.Mutation):
    """Create a client (needs sites.manage)."""

    class Arguments(ClientArguments):
        code = graphene.String(required=True)
        name = graphene.String(required=True)

    client = graphene.Field(ClientType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, **fields: Any) -> CreateClient:
        user = require_capability(info, MANAGE)
        client = services.create_client(actor=user, **{k: v for k, v in fields.items() if v is not None})
        return CreateClient(client=client)


class UpdateClient(graphene.Mutation):
    """Change the given fields of a client (needs sites.manage)."""

    class Arguments(ClientArguments):
        id = graphene.ID(required=True)

    client = graphene.Field(ClientType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, **fields: Any) -> UpdateClient:
        user = require_capability(info, MANAGE)
        client = selectors.get_client_for(user, id)
        client = services.update_client(client, actor=user, **{k: v for k, v in fields.items() if v is not None})
        return UpdateClient(client=client)
