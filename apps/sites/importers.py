"""Bulk import of clients, sites, shifts and areas (sheets ``clients``, ``sites``,
``shifts``, ``areas``).

Rows are matched by code (a shift by site code and name, an area by site code and code):
a known code is updated, a new one created, always through ``services``. References are
codes, resolved in the tenant in context among the rows the importing actor may see, or
among rows an earlier sheet of the same file defines (a site may name a client created
by the ``clients`` sheet).

``areas``: site_code, code, name, parent_code (an area of the same site, stored or
anywhere in the sheet: parents are written before the areas inside them), is_active. An
area's code is unique per site only, so the assets sheet asks ``defines_area`` whether
the file defines one.

Blank cells: a column with a default (``is_active``, ``radius_m``, ``timezone``,
``headcount``) takes the default on a new row and leaves an existing row unchanged; a
blank optional value (``address``, ``geofence``, contract dates, an area's ``parent_code``)
clears it. A column left out of the sheet entirely never changes existing rows.

``RowCheck`` parses the cells of one row and records every problem; the assets importer
uses it too.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from apps.core.geo import GeometryError, parse_geojson
from apps.core.importing import ImportContext, Importer, Prepared, RowError, register_importer
from apps.core.validators import code_validator

from . import selectors, services
from .models import Shift

TRUE = frozenset({"1", "true", "yes", "y"})
FALSE = frozenset({"0", "false", "no", "n"})


class RowCheck:
    """The cells of one row, parsed; each problem is added to ``errors`` with its column."""

    def __init__(self, number: int, row: dict[str, str], errors: list[RowError]) -> None:
        self.row_number = number
        self.row = row
        self.errors = errors
        self._found = 0

    @property
    def ok(self) -> bool:
        return self._found == 0

    def fail(self, column: str, code: str, message: str) -> None:
        self._found += 1
        self.errors.append(RowError(self.row_number, column, code, message))

    def has(self, column: str) -> bool:
        """Whether the sheet has the column at all (a missing optional column changes nothing)."""
        return column in self.row

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.row.get(column, "").strip()
        if required and not value:
            self.fail(column, "required", f"{column} is required.")
        return value

    def code(self, column: str = "code", *, required: bool = True) -> str:
        value = self.text(column, required=required)
        if value:
            try:
                code_validator(value)
            except ValidationError:
                self.fail(column, "invalid_code", f"{value!r}: {code_validator.message}")
        return value

    def boolean(self, column: str) -> bool | None:
        value = self.text(column).lower()
        if not value:
            return None
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        self.fail(column, "invalid_boolean", f"{column} is yes or no, not {value!r}.")
        return None

    def integer(self, column: str, *, minimum: int = 0) -> int | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            self.fail(column, "invalid_number", f"{column} is a whole number of at least {minimum}, not {value!r}.")
            return None
        return number

    def number(self, column: str) -> float | int | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.fail(column, "invalid_number", f"{column} is a number, not {value!r}.")
            return None
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(column, "invalid_number", f"{column} is a number, not {value!r}.")
            return None
        return int(number) if number.is_integer() else number

    def date(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            # A date cell of a workbook arrives as a datetime at midnight.
            return datetime.fromisoformat(value).date()
        except ValueError:
            self.fail(column, "invalid_date", f"{column} is a date like 2025-01-31, not {value!r}.")
            return None

    def time(self, column: str, *, required: bool = False) -> time | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return time.fromisoformat(value if len(value) > 4 else value.zfill(5))
        except ValueError:
            self.fail(column, "invalid_time", f"{column} is a time like 08:00, not {value!r}.")
            return None

    def point(self, *, required: bool = False) -> Point | None:
        """``longitude`` and ``latitude`` as a WGS 84 point (both or neither)."""
        if not (self.text("longitude") or self.text("latitude")):
            if required:
                self.fail("longitude", "required", "longitude and latitude are required.")
            return None
        for column in ("longitude", "latitude"):
            if not self.text(column):
                self.fail(column, "required", "Give both longitude and latitude, or neither.")
        lon, lat = self.number("longitude"), self.number("latitude")
        if lon is None or lat is None:
            return None
        try:
            point = parse_geojson({"type": "Point", "coordinates": [lon, lat]}, "Point")
        except GeometryError as exc:
            self.fail("latitude" if exc.code == "latitude_out_of_range" else "longitude", exc.code, exc.message)
            return None
        assert isinstance(point, Point)
        return point

    def geometry(self, column: str, geom_type: str) -> Any:
        value = self.text(column)
        if not value:
            return None
        try:
            return parse_geojson(value, geom_type)
        except GeometryError as exc:
            self.fail(column, exc.code, exc.message)
            return None

    def choice(self, column: str, choices: list[str]) -> str | None:
        value = self.text(column).upper()
        if not value:
            return None
        if value not in choices:
            self.fail(column, f"invalid_{column}", f"{column} is one of {', '.join(choices)}, not {value!r}.")
            return None
        return value

    def unique(self, key: Any, seen: dict[Any, int], column: str = "code") -> None:
        """Refuse a key that an earlier row of the same sheet already has."""
        if key in seen:
            self.fail(column, "duplicate_code_in_file", f"{key!r} is already on row {seen[key]}.")
        else:
            seen[key] = self.row_number


def area_key(site_code: str, code: str) -> str:
    """The key of an area among the codes a file defines (``SITE:AREA``; codes hold no colon)."""
    return f"{site_code}:{code}"


def defines_area(context: ImportContext, site_code: str, code: str) -> bool:
    """Whether the ``areas`` sheet of the file being imported defines area ``code`` of the site."""
    return context.defines("areas", area_key(site_code, code))


def _known(codes: set[str], context: ImportContext, sheet: str, code: str) -> bool:
    return code in codes or context.defines(sheet, code)


def _optional(fields: dict[str, Any], name: str, value: Any) -> None:
    """A default-carrying field: set only when the cell has a value."""
    if value is not None:
        fields[name] = value


def _clearable(check: RowCheck, fields: dict[str, Any], name: str, value: Any) -> None:
    """An optional field: set (or cleared) whenever the sheet has the column."""
    if check.has(name):
        fields[name] = value


@register_importer
class ClientImporter(Importer):
    sheet = "clients"
    order = 10
    required = ("code", "name")
    optional = ("contract_start", "contract_end", "is_active")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        prepared: list[Prepared] = []
        seen: dict[Any, int] = {}
        for number, row in rows:
            check = RowCheck(number, row, errors)
            code = check.code()
            check.unique(code, seen)
            fields: dict[str, Any] = {"name": check.text("name", required=True)}
            start, end = check.date("contract_start"), check.date("contract_end")
            if start and end and end < start:
                check.fail("contract_end", "contract_end_before_start", "The contract cannot end before it starts.")
            _clearable(check, fields, "contract_start", start)
            _clearable(check, fields, "contract_end", end)
            _optional(fields, "is_active", check.boolean("is_active"))
            if check.ok:
                prepared.append(Prepared(number, {"code": code, "fields": fields}))
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        actor = self.context.actor
        code, fields = prepared.data["code"], prepared.data["fields"]
        client = selectors.clients_for(actor).filter(code=code).first()
        if client is None:
            services.create_client(code=code, actor=actor, **fields)
            return True
        services.update_client(client, actor=actor, **fields)
        return False


@register_importer
class SiteImporter(Importer):
    sheet = "sites"
    order = 20
    required = ("code", "name", "client_code", "longitude", "latitude")
    optional = ("radius_m", "timezone", "address", "geofence", "is_active")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        referenced = {row.get("client_code", "").strip() for _, row in rows}
        clients = set(selectors.clients_for(context.actor).filter(code__in=referenced).values_list("code", flat=True))
        zones = zoneinfo.available_timezones()
        prepared: list[Prepared] = []
        seen: dict[Any, int] = {}
        for number, row in rows:
            check = RowCheck(number, row, errors)
            code = check.code()
            check.unique(code, seen)
            client_code = check.text("client_code", required=True)
            if client_code and not _known(clients, context, "clients", client_code):
                check.fail("client_code", "unknown_client", f"No client with code {client_code!r}.")
            fields: dict[str, Any] = {"name": check.text("name", required=True)}
            fields["location"] = check.point(required=True)
            _optional(fields, "radius_m", check.integer("radius_m"))
            timezone = check.text("timezone")
            if timezone and timezone not in zones:
                check.fail("timezone", "unknown_timezone", f"{timezone!r} is not a known time zone.")
            _optional(fields, "timezone", timezone or None)
            _clearable(check, fields, "address", check.text("address"))
            _clearable(check, fields, "geofence", check.geometry("geofence", "Polygon"))
            _optional(fields, "is_active", check.boolean("is_active"))
            if check.ok:
                prepared.append(Prepared(number, {"code": code, "client_code": client_code, "fields": fields}))
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        actor = self.context.actor
        data = prepared.data
        client = selectors.clients_for(actor).get(code=data["client_code"])
        site = selectors.sites_for(actor).filter(code=data["code"]).first()
        if site is None:
            services.create_site(client_id=client.pk, code=data["code"], actor=actor, **data["fields"])
            return True
        services.update_site(site, client_id=client.pk, actor=actor, **data["fields"])
        return False


@register_importer
class ShiftImporter(Importer):
    """Shifts, matched by site code and name (a shift has no code of its own)."""

    sheet = "shifts"
    order = 30
    required = ("site_code", "name", "start_time", "end_time")
    optional = ("headcount", "is_active")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        referenced = {row.get("site_code", "").strip() for _, row in rows}
        sites = set(selectors.sites_for(context.actor).filter(code__in=referenced).values_list("code", flat=True))
        prepared: list[Prepared] = []
        seen: dict[Any, int] = {}
        for number, row in rows:
            check = RowCheck(number, row, errors)
            site_code = check.text("site_code", required=True)
            if site_code and not _known(sites, context, "sites", site_code):
                check.fail("site_code", "unknown_site", f"No site with code {site_code!r}.")
            name = check.text("name", required=True)
            check.unique((site_code, name), seen, column="name")
            start, end = check.time("start_time", required=True), check.time("end_time", required=True)
            if start is not None and start == end:
                check.fail("end_time", "empty_shift", "A shift cannot start and end at the same time.")
            fields: dict[str, Any] = {"start_time": start, "end_time": end}
            _optional(fields, "headcount", check.integer("headcount", minimum=1))
            _optional(fields, "is_active", check.boolean("is_active"))
            if check.ok:
                prepared.append(Prepared(number, {"site_code": site_code, "name": name, "fields": fields}))
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        actor = self.context.actor
        data = prepared.data
        site = selectors.sites_for(actor).get(code=data["site_code"])
        shift = Shift.objects.filter(site=site, name=data["name"]).first()
        if shift is None:
            services.create_shift(site_id=site.pk, name=data["name"], actor=actor, **data["fields"])
            return True
        services.update_shift(shift, actor=actor, **data["fields"])
        return False


@register_importer
class AreaImporter(Importer):
    """Areas of sites, matched by site code and code; a parent may come later in the sheet."""

    sheet = "areas"
    order = 35
    required = ("site_code", "code", "name")
    optional = ("parent_code", "is_active")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        referenced = {row.get("site_code", "").strip() for _, row in rows}
        sites = set(selectors.sites_for(context.actor).filter(code__in=referenced).values_list("code", flat=True))
        # Every stored area of those sites with its parent: a loop may run through stored areas.
        parents: dict[tuple[str, str], str | None] = {
            (site, code): parent
            for site, code, parent in selectors.locations_for(context.actor)
            .filter(site__code__in=sites)
            .values_list("site__code", "code", "parent__code")
        }
        prepared: list[Prepared] = []
        checks: dict[int, RowCheck] = {}
        seen: dict[Any, int] = {}
        for number, row in rows:
            check = RowCheck(number, row, errors)
            site_code = check.text("site_code", required=True)
            if site_code and not _known(sites, context, "sites", site_code):
                check.fail("site_code", "unknown_site", f"No site with code {site_code!r}.")
            code = check.code()
            check.unique((site_code, code), seen)
            fields: dict[str, Any] = {"name": check.text("name", required=True)}
            _optional(fields, "is_active", check.boolean("is_active"))
            parent = check.text("parent_code") if check.has("parent_code") else None
            if check.has("parent_code"):
                # The sheet's parent replaces the stored one; without the column it stays.
                parents[site_code, code] = parent or None
            else:
                parents.setdefault((site_code, code), None)
            checks[number] = check
            data = {
                "code": area_key(site_code, code),
                "site_code": site_code,
                "area_code": code,
                "parent_code": parent,
                "fields": fields,
            }
            if check.ok:
                prepared.append(Prepared(number, data))
        for item in prepared:
            self._check_parent(item, checks[item.row], parents)
        return self._parents_first([item for item in prepared if checks[item.row].ok])

    @staticmethod
    def _check_parent(item: Prepared, check: RowCheck, parents: dict[tuple[str, str], str | None]) -> None:
        """The parent is an area of the same site, and following parents never comes back."""
        site_code, code, parent = item.data["site_code"], item.data["area_code"], item.data["parent_code"]
        if not parent:
            return
        if (site_code, parent) not in parents:
            check.fail("parent_code", "unknown_parent", f"Site {site_code!r} has no area {parent!r}.")
            return
        seen: set[str] = set()
        current: str | None = parent
        while current is not None and current not in seen:
            if current == code:
                check.fail("parent_code", "parent_cycle", "An area cannot be inside itself.")
                return
            seen.add(current)
            current = parents.get((site_code, current))

    @staticmethod
    def _parents_first(prepared: list[Prepared]) -> list[Prepared]:
        """Order rows so an area defined in the sheet is written before the areas inside it."""
        by_key = {(item.data["site_code"], item.data["area_code"]): item for item in prepared}
        placed: set[tuple[str, str]] = set()
        ordered: list[Prepared] = []
        for item in prepared:
            chain: list[Prepared] = []
            current: Prepared | None = item
            while current is not None:
                key = (current.data["site_code"], current.data["area_code"])
                if key in placed or current in chain:
                    break
                chain.append(current)
                current = by_key.get((key[0], current.data["parent_code"] or ""))
            for link in reversed(chain):
                placed.add((link.data["site_code"], link.data["area_code"]))
                ordered.append(link)
        return ordered

    def apply_row(self, prepared: Prepared) -> bool:
        actor = self.context.actor
        data = prepared.data
        site = selectors.sites_for(actor).get(code=data["site_code"])
        areas = selectors.locations_for(actor).filter(site=site)
        fields: dict[str, Any] = dict(data["fields"])
        if data["parent_code"] is not None:
            fields["parent_id"] = areas.get(code=data["parent_code"]).pk if data["parent_code"] else None
        area = areas.filter(code=data["area_code"]).first()
        if area is None:
            services.create_location(site_id=site.pk, code=data["area_code"], actor=actor, **fields)
            return True
        services.update_location(area, actor=actor, **fields)
        return False
