"""GraphQL list fields and mutations of the sites app, scoped like the REST API."""

from __future__ import annotations

from typing import Any

import django_filters
import graphene
from django.db.models import Prefetch, QuerySet
from graphql import GraphQLError

from apps.core.graphql import SizedList, require_any_capability
from apps.sites import selectors
from apps.sites.filtersets import ClientFilterSet, LocationFilterSet, ShiftFilterSet, SiteFilterSet, SiteGroupFilterSet
from apps.sites.models import SiteGroupMember

from .mutations import CreateClient, CreateSite, DeactivateSite, UpdateClient, UpdateSite
from .types import ClientType, LocationType, ShiftType, SiteGroupType, SiteType

READ_CAPABILITIES = ("sites.view", "client.portal")
# These lists are not paged; the cost rule counts each at this many rows.
LIST_COSTED = 100


def _reader(info: Any) -> Any:
    return require_any_capability(info, READ_CAPABILITIES)


def _filtered(filterset: type[django_filters.FilterSet], queryset: QuerySet[Any], args: dict[str, Any]) -> Any:
    """Apply the model's filterset (the one REST uses) to the given arguments."""
    data = {name: value for name, value in args.items() if value is not None}
    applied = filterset(data=data, queryset=queryset)
    if not applied.is_valid():
        raise GraphQLError(
            "The filters are not valid.",
            extensions={"code": "invalid_filter", "details": applied.errors.get_json_data()},
        )
    return applied.qs


def _list(type_: Any, description: str, **filters: Any) -> SizedList:
    return SizedList(type_, max_items=LIST_COSTED, required=True, description=description, **filters)


class Queries(graphene.ObjectType):
    """Queries of this app, mixed into the root Query in youtility/schema.py."""

    clients = _list(
        ClientType,
        "Clients the caller may see (needs sites.view or client.portal).",
        code=graphene.String(),
        name=graphene.String(description="Part of the name, any case."),
        is_active=graphene.Boolean(),
    )
    sites = _list(
        SiteType,
        "Sites the caller may see: all for admins, their client's for client viewers, assigned ones otherwise.",
        code=graphene.String(),
        name=graphene.String(description="Part of the name, any case."),
        client=graphene.ID(),
        is_active=graphene.Boolean(),
        site_group=graphene.ID(),
    )
    site_groups = _list(
        SiteGroupType,
        "Site groups assigned to the caller or holding one of their sites.",
        code=graphene.String(),
        name=graphene.String(),
        is_active=graphene.Boolean(),
        site=graphene.ID(),
    )
    shifts = _list(
        ShiftType,
        "Shifts at the caller's sites.",
        site=graphene.ID(),
        name=graphene.String(),
        designation=graphene.ID(),
        is_active=graphene.Boolean(),
    )
    locations = _list(
        LocationType,
        "Areas of the caller's sites.",
        site=graphene.ID(),
        code=graphene.String(),
        name=graphene.String(),
        parent=graphene.ID(),
        is_active=graphene.Boolean(),
    )

    @staticmethod
    def resolve_clients(root: Any, info: Any, **args: Any) -> Any:
        return _filtered(ClientFilterSet, selectors.clients_for(_reader(info)), args)

    @staticmethod
    def resolve_sites(root: Any, info: Any, **args: Any) -> Any:
        return _filtered(SiteFilterSet, selectors.sites_for(_reader(info)), args)

    @staticmethod
    def resolve_site_groups(root: Any, info: Any, **args: Any) -> Any:
        user = _reader(info)
        members = SiteGroupMember.objects.filter(site__in=selectors.sites_for(user)).order_by("position", "pk")
        groups = selectors.site_groups_for(user).prefetch_related(Prefetch("members", queryset=members))
        return _filtered(SiteGroupFilterSet, groups, args)

    @staticmethod
    def resolve_shifts(root: Any, info: Any, **args: Any) -> Any:
        return _filtered(ShiftFilterSet, selectors.shifts_for(_reader(info)), args)

    @staticmethod
    def resolve_locations(root: Any, info: Any, **args: Any) -> Any:
        return _filtered(LocationFilterSet, selectors.locations_for(_reader(info)), args)


class Mutations(graphene.ObjectType):
    """Mutations of this app, mixed into the root Mutation in youtility/schema.py."""

    create_client = CreateClient.Field()
    update_client = UpdateClient.Field()
    create_site = CreateSite.Field()
    update_site = UpdateSite.Field()
    deactivate_site = DeactivateSite.Field()
