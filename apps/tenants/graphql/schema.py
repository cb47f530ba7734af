from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from apps.core.graphql import SizedList, require_user
from apps.tenants import selectors
from apps.tenants.models import Lookup

from .mutations import CreateLookup, DeactivateLookup, UpdateLookup
from .types import LookupType

# Not paged (they are cached per tenant); the cost rule counts them at this many.
LOOKUPS_COSTED = 100


class Queries(graphene.ObjectType):
    """Queries of this app, mixed into the root Query in youtility/schema.py."""

    lookups = SizedList(
        LookupType,
        max_items=LOOKUPS_COSTED,
        required=True,
        kind=graphene.String(description="Only this kind (DEPARTMENT, DESIGNATION, ...)."),
        is_active=graphene.Boolean(),
        description="The tenant's code lists, in picker order (any signed-in person).",
    )

    @staticmethod
    def resolve_lookups(root: Any, info: Any, kind: str | None = None, is_active: bool | None = None) -> list[Lookup]:
        require_user(info)
        if kind and kind not in Lookup.Kind.values:
            raise GraphQLError(f"Unknown lookup kind {kind!r}.", extensions={"code": "invalid_kind"})
        return selectors.cached_lookups(kind or None, is_active)


class Mutations(graphene.ObjectType):
    """Mutations of this app, mixed into the root Mutation in youtility/schema.py."""

    create_lookup = CreateLookup.Field()
    update_lookup = UpdateLookup.Field()
    deactivate_lookup = DeactivateLookup.Field()
