"""Lookup mutations: parse, call the service, return the entry or a coded error."""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.errors import NotFound
from apps.core.graphql import require_capability
from apps.tenants import selectors, services
from apps.tenants.models import Lookup

from .types import LookupType

MANAGE = "admin.manage"


def _lookup(lookup_id: str) -> Lookup:
    lookup = selectors.get_lookup(int(lookup_id)) if str(lookup_id).isdigit() else None
    if lookup is None:
        raise NotFound("No such lookup.")
    return lookup


class CreateLookup(graphene.Mutation):
    """Add an entry to a code list (needs admin.manage)."""

    class Arguments:
        kind = graphene.String(required=True)
        code = graphene.String(required=True)
        name = graphene.String(required=True)
        position = graphene.Int()
        is_active = graphene.Boolean()

    lookup = graphene.Field(LookupType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, **fields: Any) -> CreateLookup:
        require_capability(info, MANAGE)
        lookup = services.create_lookup(**{k: v for k, v in fields.items() if v is not None})
        return CreateLookup(lookup=lookup)


class UpdateLookup(graphene.Mutation):
    """Change an entry's code, name, position or active flag (needs admin.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        code = graphene.String()
        name = graphene.String()
        position = graphene.Int()
        is_active = graphene.Boolean()

    lookup = graphene.Field(LookupType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, **fields: Any) -> UpdateLookup:
        require_capability(info, MANAGE)
        lookup = services.update_lookup(_lookup(id), **{k: v for k, v in fields.items() if v is not None})
        return UpdateLookup(lookup=lookup)


class DeactivateLookup(graphene.Mutation):
    """Hide an entry from pickers; rows already using it keep it (needs admin.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    lookup = graphene.Field(LookupType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeactivateLookup:
        require_capability(info, MANAGE)
        lookup = services.deactivate_lookup(_lookup(id))
        return DeactivateLookup(lookup=lookup)
