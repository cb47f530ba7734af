"""Reads of assets and checkpoints, always through the caller's site scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.sites.selectors import scope_to_sites

from .models import Asset


def assets_for(person: Any, *, kind: str | None = None) -> QuerySet[Asset]:
    """Assets (of ``kind``, or both kinds) at the sites ``person`` may see, in the tenant in context."""
    queryset = Asset.objects.select_related("site", "area", "asset_class")
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return scope_to_sites(queryset, person).order_by("site__name", "code", "pk")


def get_asset_for(person: Any, asset_id: Any, *, kind: str | None = None) -> Asset:
    """The asset ``asset_id`` if ``person`` may see it; another tenant's or site's is ``NotFound``."""
    try:
        pk = int(asset_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    asset = assets_for(person, kind=kind).filter(pk=pk).first()
    if asset is None:
        raise NotFound()
    return asset
