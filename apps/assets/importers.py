"""Bulk import of assets and checkpoints (sheet ``assets``), matched by code.

References are codes: ``site_code`` (a site the importing actor may see, or one the
``sites`` sheet of the same file defines), ``area_code`` (an area of that site, stored or
defined by the ``areas`` sheet of the same file), ``parent_code`` (an asset of the same
site, in the database or anywhere in this sheet: parents are written before their parts),
``asset_class`` (a lookup of kind ASSET_CLASS, stored or defined by the ``lookups`` sheet).
Blank ``kind``, ``status`` and ``is_active`` mean the default on a new row and no change
on an existing one; a blank optional value (area, parent, class, tag, position, a meter
attribute) clears it. Writes go through ``services`` like every other door.
"""

from __future__ import annotations

from typing import Any

from apps.core.importing import ImportContext, Importer, Prepared, RowError, register_importer
from apps.sites.importers import RowCheck, defines_area
from apps.sites.models import Location
from apps.sites.selectors import sites_for
from apps.tenants.importers import defines_lookup
from apps.tenants.models import Lookup

from . import selectors, services
from .models import Asset

METER_COLUMNS = ("meter_unit", "meter_min", "meter_max")


def _column(rows: list[tuple[int, dict[str, str]]], column: str) -> set[str]:
    return {row.get(column, "").strip() for _, row in rows} - {""}


@register_importer
class AssetImporter(Importer):
    sheet = "assets"
    order = 40
    required = ("code", "name", "site_code")
    optional = (
        "kind",
        "area_code",
        "parent_code",
        "asset_class",
        "status",
        "tag",
        "longitude",
        "latitude",
        *METER_COLUMNS,
        "is_active",
    )

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        # What the rows refer to, fetched once: a sheet may hold thousands of rows.
        sites = set(sites_for(context.actor).filter(code__in=_column(rows, "site_code")).values_list("code", flat=True))
        areas = set(
            Location.objects.filter(site__code__in=sites, code__in=_column(rows, "area_code")).values_list(
                "site__code", "code"
            )
        )
        classes = set(
            Lookup.objects.filter(kind=Lookup.Kind.ASSET_CLASS, code__in=_column(rows, "asset_class")).values_list(
                "code", flat=True
            )
        )
        codes = _column(rows, "code") | _column(rows, "parent_code")
        stored = dict(Asset.objects.filter(code__in=codes).values_list("code", "site__code"))
        tags = dict(Asset.objects.filter(tag__in=_column(rows, "tag")).values_list("tag", "code"))

        prepared: list[Prepared] = []
        checks: dict[int, RowCheck] = {}
        site_of: dict[str, str] = {}  # every code of the sheet, even on a row with problems
        seen: dict[Any, int] = {}
        seen_tags: dict[Any, int] = {}
        for number, row in rows:
            check = RowCheck(number, row, errors)
            code = check.code()
            check.unique(code, seen)
            fields: dict[str, Any] = {"name": check.text("name", required=True)}
            site_code = check.text("site_code", required=True)
            if site_code and site_code not in sites and not context.defines("sites", site_code):
                check.fail("site_code", "unknown_site", f"No site with code {site_code!r}.")
            for name in ("kind", "status"):
                value = check.choice(name, list(getattr(Asset, name.capitalize()).values))
                if value is not None:
                    fields[name] = value
            active = check.boolean("is_active")
            if active is not None:
                fields["is_active"] = active
            area_code = check.text("area_code")
            if area_code and (site_code, area_code) not in areas and not defines_area(context, site_code, area_code):
                check.fail("area_code", "unknown_area", f"Site {site_code!r} has no area {area_code!r}.")
            class_code = check.text("asset_class")
            if (
                class_code
                and class_code not in classes
                and not defines_lookup(context, Lookup.Kind.ASSET_CLASS, class_code)
            ):
                check.fail("asset_class", "unknown_asset_class", f"No asset class {class_code!r}.")
            tag = check.text("tag")
            if tag:
                check.unique(tag, seen_tags, column="tag")
                if tags.get(tag, code) != code:
                    check.fail("tag", "duplicate_tag", f"Tag {tag!r} belongs to asset {tags[tag]!r}.")
            if check.has("tag"):
                fields["tag"] = tag
            if check.has("longitude") or check.has("latitude"):
                fields["location"] = check.point()
            meter: dict[str, Any] = {"unit": check.text("meter_unit") or None} if check.has("meter_unit") else {}
            meter.update({key: check.number(f"meter_{key}") for key in ("min", "max") if check.has(f"meter_{key}")})
            low, high = meter.get("min"), meter.get("max")
            if low is not None and high is not None and low > high:
                check.fail("meter_max", "invalid_meter", f"meter_min ({low}) is greater than meter_max ({high}).")
            data = {
                "code": code,
                "site_code": site_code,
                "area_code": area_code if check.has("area_code") else None,
                "parent_code": check.text("parent_code") if check.has("parent_code") else None,
                "asset_class": class_code if check.has("asset_class") else None,
                "has": {column for column in ("area_code", "parent_code", "asset_class") if check.has(column)},
                "meter": meter,
                "fields": fields,
            }
            checks[number] = check
            site_of.setdefault(code, site_code)
            if check.ok:
                prepared.append(Prepared(number, data))
        # Each asset's parent once the file is written: stored, unless the sheet sets it.
        parents: dict[str, str | None] = dict(
            Asset.objects.filter(site__code__in=set(site_of.values())).values_list("code", "parent__code")
        )
        parents.update(
            {
                item.data["code"]: item.data["parent_code"] or None
                for item in prepared
                if "parent_code" in item.data["has"]
            }
        )
        for item in prepared:
            self._check_parent(item, checks[item.row], site_of, stored, parents)
        return self._parents_first([item for item in prepared if checks[item.row].ok])

    @staticmethod
    def _check_parent(
        item: Prepared,
        check: RowCheck,
        in_file: dict[str, str],
        stored: dict[str, str],
        parents: dict[str, str | None],
    ) -> None:
        """The parent is an asset of the same site, and following parents never comes back."""
        parent = item.data["parent_code"]
        if not parent:
            return
        parent_site = in_file.get(parent, stored.get(parent))
        if parent_site is None:
            check.fail("parent_code", "unknown_parent", f"No asset with code {parent!r}.")
            return
        if parent_site != item.data["site_code"]:
            check.fail("parent_code", "parent_not_in_site", f"Asset {parent!r} is at site {parent_site!r}.")
            return
        seen: set[str] = set()
        current: str | None = parent
        while current is not None and current not in seen:
            if current == item.data["code"]:
                check.fail("parent_code", "parent_cycle", "An asset cannot be a part of itself.")
                return
            seen.add(current)
            current = parents.get(current)

    @staticmethod
    def _parents_first(prepared: list[Prepared]) -> list[Prepared]:
        """Order rows so a parent defined in the sheet is written before its parts.

        Loops (A part of B, B part of A) were refused row by row before this runs.
        """
        by_code = {item.data["code"]: item for item in prepared}
        placed: set[str] = set()
        ordered: list[Prepared] = []
        for item in prepared:
            chain: list[Prepared] = []
            current: Prepared | None = item
            while current is not None and current.data["code"] not in placed and current not in chain:
                chain.append(current)
                current = by_code.get(current.data["parent_code"] or "")
            for link in reversed(chain):
                placed.add(link.data["code"])
                ordered.append(link)
        return ordered

    def apply_row(self, prepared: Prepared) -> bool:
        actor = self.context.actor
        data = prepared.data
        site = sites_for(actor).get(code=data["site_code"])
        fields: dict[str, Any] = {**data["fields"], "site_id": site.pk}
        if "area_code" in data["has"]:
            fields["area_id"] = (
                Location.objects.get(site=site, code=data["area_code"]).pk if data["area_code"] else None
            )
        if "parent_code" in data["has"]:
            fields["parent_id"] = Asset.objects.get(code=data["parent_code"]).pk if data["parent_code"] else None
        if "asset_class" in data["has"]:
            fields["asset_class_id"] = (
                Lookup.objects.get(kind=Lookup.Kind.ASSET_CLASS, code=data["asset_class"]).pk
                if data["asset_class"]
                else None
            )
        asset = selectors.assets_for(actor).filter(code=data["code"]).first()
        if data["meter"]:
            # Only the meter attributes the sheet has columns for change; the rest (multiplier) stay.
            meter = dict(asset.meter) if asset is not None else {}
            meter.update(data["meter"])
            fields["meter"] = {key: value for key, value in meter.items() if value is not None}
        if asset is None:
            services.create_asset(actor, code=data["code"], **fields)
            return True
        services.update_asset(actor, asset, **fields)
        return False
