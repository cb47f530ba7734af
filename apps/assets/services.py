"""Writes of assets and checkpoints: validate, act in one transaction, return.

Rules every door (REST, GraphQL, admin, import) gets from here:

- the site must be one the caller may see (``sites_for``); the area and the parent must
  belong to that site, and the parent chain may not loop back to the asset;
- ``asset_class`` is a Lookup of kind ASSET_CLASS; code is unique in the tenant, and so is
  a non-empty tag (the QR/NFC payload a scan is matched against);
- ``meter`` holds only ``unit``, ``min``, ``max`` and ``multiplier``, numbers where numeric;
- nothing is ever deleted, because past jobs and reports refer to the row: scrapping sets
  status SCRAPPED and deactivating clears ``is_active``.

A scrapped asset is frozen: only a tenant admin (``admin.manage``) may edit it, and it
leaves SCRAPPED only when that admin sends a new status explicitly (an un-scrap is a
deliberate correction, never a side effect of editing another field).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core import tenancy
from apps.core.errors import DomainError
from apps.core.geo import parse_geojson
from apps.sites.models import Location, Site
from apps.sites.selectors import sees_all_sites, sites_for
from apps.tenants.models import Lookup

from .models import Asset

METER_KEYS = frozenset({"unit", "min", "max", "multiplier"})
MAX_PARENT_DEPTH = 100

# Fields a caller may set; anything else is refused rather than silently ignored.
WRITABLE = frozenset(
    {
        "kind",
        "code",
        "name",
        "status",
        "site_id",
        "area_id",
        "parent_id",
        "asset_class_id",
        "location",
        "tag",
        "meter",
        "is_active",
    }
)


class AssetError(DomainError):
    code = "invalid_asset"
    message = "The asset is not valid."


class AssetConflict(AssetError):
    status = 409


def _field_error(code: str, message: str, field: str) -> AssetError:
    return AssetError(message, code=code, details={"field": field})


# --- checks ----------------------------------------------------------------------------


def _site(actor: Any, site_id: Any) -> Site:
    site = sites_for(actor).filter(pk=_int(site_id, "site")).first()
    if site is None:
        raise _field_error("unknown_site", f"Site {site_id} does not exist or is not one of yours.", "site")
    return site


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise _field_error(f"unknown_{field}", f"{field} must be an id.", field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _field_error(f"unknown_{field}", f"{field} must be an id.", field) from None


def _area(area_id: Any, site: Site) -> Location | None:
    if area_id is None:
        return None
    area = Location.objects.filter(pk=_int(area_id, "area")).first()
    if area is None:
        raise _field_error("unknown_area", f"Area {area_id} does not exist.", "area")
    if area.site_id != site.pk:
        # Named by the id sent: the area may belong to a site outside the caller's scope.
        raise _field_error("area_not_in_site", f"Area {area.pk} is not in site {site.code}.", "area")
    return area


def _parent(parent_id: Any, site: Site, asset: Asset | None) -> Asset | None:
    if parent_id is None:
        return None
    parent = Asset.objects.filter(pk=_int(parent_id, "parent")).first()
    if parent is None:
        raise _field_error("unknown_parent", f"Asset {parent_id} does not exist.", "parent")
    if parent.site_id != site.pk:
        raise _field_error("parent_not_in_site", f"Asset {parent.pk} is not in site {site.code}.", "parent")
    if asset is not None and asset.pk is not None:
        # Walk up from the new parent: reaching the asset itself would close a loop.
        current: int | None = parent.pk
        for _ in range(MAX_PARENT_DEPTH):
            if current is None:
                break
            if current == asset.pk:
                raise _field_error(
                    "parent_cycle", f"Asset {parent.code} is {asset.code} itself or one of its parts.", "parent"
                )
            current = Asset.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        else:
            raise _field_error("parent_cycle", "The parent chain is too deep.", "parent")
    return parent


def _asset_class(asset_class_id: Any) -> Lookup | None:
    if asset_class_id is None:
        return None
    lookup = Lookup.objects.filter(pk=_int(asset_class_id, "asset_class")).first()
    if lookup is None:
        raise _field_error("unknown_asset_class", f"Asset class {asset_class_id} does not exist.", "asset_class")
    if lookup.kind != Lookup.Kind.ASSET_CLASS:
        raise _field_error(
            "invalid_asset_class",
            f"Lookup {lookup.code} is a {lookup.get_kind_display()}, not an asset class.",
            "asset_class",
        )
    return lookup


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_meter(meter: Any) -> dict[str, Any]:
    """Check meter attributes; return them unchanged when valid."""
    if meter is None:
        return {}
    if not isinstance(meter, dict):
        raise _field_error("invalid_meter", "Meter attributes are an object.", "meter")
    unknown = sorted(set(meter) - METER_KEYS)
    if unknown:
        raise AssetError(
            f"Unknown meter attributes: {', '.join(unknown)}.",
            code="invalid_meter",
            details={"field": "meter", "unknown": unknown},
        )
    unit = meter.get("unit")
    if unit is not None and not (isinstance(unit, str) and 0 < len(unit) <= 32):
        raise _field_error("invalid_meter", "meter.unit is a text of 1-32 characters.", "meter.unit")
    for key in ("min", "max", "multiplier"):
        if key in meter and meter[key] is not None and not _number(meter[key]):
            raise _field_error("invalid_meter", f"meter.{key} must be a number.", f"meter.{key}")
    if meter.get("multiplier") is not None and meter["multiplier"] <= 0:
        raise _field_error("invalid_meter", "meter.multiplier must be greater than 0.", "meter.multiplier")
    low, high = meter.get("min"), meter.get("max")
    if low is not None and high is not None and low > high:
        raise _field_error("invalid_meter", f"meter.min ({low}) is greater than meter.max ({high}).", "meter")
    return dict(meter)


def _location(value: Any) -> Point | None:
    if value is None or isinstance(value, Point):
        return value
    point = parse_geojson(value, "Point")
    assert isinstance(point, Point)
    return point


def _check_unique(asset: Asset) -> None:
    others = Asset.objects.exclude(pk=asset.pk) if asset.pk else Asset.objects.all()
    if others.filter(code=asset.code).exists():
        raise AssetConflict(f"Code {asset.code} is already used.", code="duplicate_code", details={"field": "code"})
    if asset.tag and others.filter(tag=asset.tag).exists():
        raise AssetConflict(f"Tag {asset.tag} is already used.", code="duplicate_tag", details={"field": "tag"})


def _full_clean(asset: Asset) -> None:
    try:
        asset.full_clean(exclude=["tenant", "site", "area", "parent", "asset_class"], validate_constraints=False)
    except ValidationError as exc:
        raise AssetError("The asset is not valid.", code="invalid", details={"fields": exc.message_dict}) from exc


def _save(asset: Asset) -> None:
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            asset.save()
    except IntegrityError as exc:
        # A concurrent writer took the code or tag between the check and the insert.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if constraint == "assets_asset_tenant_code":
            raise AssetConflict(f"Code {asset.code} is already used.", code="duplicate_code") from exc
        if constraint == "assets_asset_tenant_tag":
            raise AssetConflict(f"Tag {asset.tag} is already used.", code="duplicate_tag") from exc
        raise


def _apply(actor: Any, asset: Asset, fields: dict[str, Any]) -> Asset:
    """Validate ``fields`` against ``asset`` (new or existing) and save it."""
    unknown = sorted(set(fields) - WRITABLE)
    if unknown:
        raise AssetError(f"Unknown fields: {', '.join(unknown)}.", code="unknown_fields", details={"fields": unknown})
    site = _site(actor, fields["site_id"]) if "site_id" in fields else asset.site
    site_changed = asset.pk is not None and site.pk != asset.site_id
    if site_changed and asset.children.exists():
        raise _field_error("has_parts", f"{asset.code} has parts at its site; move them first.", "site")
    area_id = fields["area_id"] if "area_id" in fields else asset.area_id
    parent_id = fields["parent_id"] if "parent_id" in fields else asset.parent_id
    asset.site = site
    asset.area = _area(area_id, site)
    asset.parent = _parent(parent_id, site, asset)
    if "asset_class_id" in fields:
        asset.asset_class = _asset_class(fields["asset_class_id"])
    if "meter" in fields:
        asset.meter = validate_meter(fields["meter"])
    if "location" in fields:
        asset.location = _location(fields["location"])
    for name in ("kind", "code", "name", "status", "is_active"):
        if name in fields:
            setattr(asset, name, fields[name])
    if "tag" in fields:
        asset.tag = (fields["tag"] or "").strip()
    _full_clean(asset)
    _check_unique(asset)
    _save(asset)
    asset.refresh_from_db(fields=["version", "modified_at"])  # the trigger set a new version
    return asset


# --- services --------------------------------------------------------------------------


def create_asset(actor: Any, **fields: Any) -> Asset:
    """Create an asset or checkpoint at one of the caller's sites.

    ``fields``: site_id (required), code, name, kind, status, area_id, parent_id,
    asset_class_id, location (GeoJSON Point or GEOS Point), tag, meter, is_active.
    """
    if "site_id" not in fields or fields["site_id"] is None:
        raise _field_error("unknown_site", "A site is required.", "site")
    with transaction.atomic(using=tenancy.db_alias()):
        return _apply(actor, Asset(), fields)


def update_asset(actor: Any, asset: Asset, **fields: Any) -> Asset:
    """Change the given fields of ``asset`` (fetched through ``selectors.get_asset_for``)."""
    with transaction.atomic(using=tenancy.db_alias()):
        locked = Asset.objects.select_for_update().select_related("site").get(pk=asset.pk)
        if locked.status == Asset.Status.SCRAPPED and not sees_all_sites(actor):
            raise AssetConflict(
                f"{locked.code} is scrapped; only an administrator may change it.", code="asset_scrapped"
            )
        return _apply(actor, locked, fields)


def scrap_asset(actor: Any, asset: Asset) -> Asset:
    """Mark ``asset`` SCRAPPED. The row stays: jobs and reports that used it still point at it.
    Its future unstarted jobs go (a scrapped asset stops its maintenance).

    Scrapping twice is harmless (the second call changes nothing).
    """
    with transaction.atomic(using=tenancy.db_alias()):
        locked = Asset.objects.select_for_update().select_related("site").get(pk=asset.pk)
        if locked.status != Asset.Status.SCRAPPED:
            locked.status = Asset.Status.SCRAPPED
            locked.save(update_fields=["status", "modified_at", "modified_by"])
            locked.refresh_from_db(fields=["version"])
        _stop_work(locked)
        return locked


def deactivate_asset(actor: Any, asset: Asset) -> Asset:
    """Hide ``asset`` from pickers and new work without deleting it (what REST DELETE does);
    its future unstarted jobs go."""
    with transaction.atomic(using=tenancy.db_alias()):
        locked = Asset.objects.select_for_update().select_related("site").get(pk=asset.pk)
        if locked.is_active:
            locked.is_active = False
            locked.save(update_fields=["is_active", "modified_at", "modified_by"])
            locked.refresh_from_db(fields=["version"])
        _stop_work(locked)
        return locked


#: What stops with an asset that goes out of service (scrapped or deactivated), run in the
#: caller's transaction: the apps that plan work on assets register here from their
#: ``ready()`` (scheduling removes the asset's future unstarted jobs). They build on this
#: app, so it names none of them.
_out_of_service: list[Callable[[Asset], object]] = []


def on_out_of_service(handler: Callable[[Asset], object]) -> None:
    if handler not in _out_of_service:
        _out_of_service.append(handler)


def _stop_work(asset: Asset) -> None:
    """Stop the work planned on ``asset`` (maintenance, tasks), in the caller's transaction,
    so a scrapped or inactive asset gets no more work."""
    for handler in _out_of_service:
        handler(asset)
