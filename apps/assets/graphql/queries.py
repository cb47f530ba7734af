from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from apps.assets import selectors
from apps.assets.filtersets import AssetFilterSet
from apps.assets.models import Asset
from apps.core.graphql import SizedList, require_capability

from .types import AssetKind, AssetStatus, AssetType

MAX_PAGE = 500


def _list(info: Any, kind: Any, site_id: Any, status: Any, first: int, offset: int) -> Any:
    user = require_capability(info, "sites.view")
    if not 0 < first <= MAX_PAGE or offset < 0:
        raise GraphQLError(f"first is 1-{MAX_PAGE} and offset at least 0.", extensions={"code": "invalid_page"})
    data = {
        "kind": getattr(kind, "value", kind),
        "site": site_id,
        "status": [getattr(status, "value", status)] if status is not None else None,
    }
    filterset = AssetFilterSet({k: v for k, v in data.items() if v is not None}, queryset=selectors.assets_for(user))
    if not filterset.is_valid():
        raise GraphQLError(
            "The filter is not valid.", extensions={"code": "invalid", "details": {"fields": filterset.errors}}
        )
    return filterset.qs[offset : offset + first]


def _args(**extra: Any) -> dict[str, Any]:
    return {
        "site_id": graphene.ID(description="Only this site (one of the caller's)."),
        "status": AssetStatus(),
        "first": graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        "offset": graphene.Int(default_value=0),
        **extra,
    }


class AssetQueries(graphene.ObjectType):
    assets = SizedList(
        AssetType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Assets and checkpoints of the caller's sites (needs sites.view).",
        **_args(kind=AssetKind()),
    )
    checkpoints = SizedList(
        AssetType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Checkpoints of the caller's sites (needs sites.view).",
        **_args(),
    )

    @staticmethod
    def resolve_assets(
        root: object,
        info: graphene.ResolveInfo,
        kind: Any = None,
        site_id: Any = None,
        status: Any = None,
        first: int = 100,
        offset: int = 0,
    ) -> Any:
        return _list(info, kind, site_id, status, first, offset)

    @staticmethod
    def resolve_checkpoints(
        root: object,
        info: graphene.ResolveInfo,
        site_id: Any = None,
        status: Any = None,
        first: int = 100,
        offset: int = 0,
    ) -> Any:
        return _list(info, Asset.Kind.CHECKPOINT, site_id, status, first, offset)
