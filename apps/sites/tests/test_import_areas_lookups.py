"""Bulk import of lookups and areas, and later sheets of the same file that name them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites.models import Location, Site
from apps.tenants import services as tenant_services
from apps.tenants.models import Lookup

from . import factories

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"
# The same code under two kinds is two entries; kinds are read in any case.
LOOKUPS = [
    ["kind", "code", "name", "is_active"],
    ["asset_class", "PUMP", "Pump", ""],
    ["Department", "OPS", "Operations", "yes"],
    ["DESIGNATION", "OPS", "Operator", "no"],
]
CLIENTS = [["code", "name"], ["ACME", "Acme Corp"]]
SITES = [
    ["code", "name", "client_code", "longitude", "latitude"],
    ["DXB", "Dubai Tower", "ACME", 55.27, 25.2],
    ["AUH", "Abu Dhabi Mall", "ACME", 54.37, 24.47],
]
# The lobby comes before the building it is in: parents are written first.
AREAS = [
    ["site_code", "code", "name", "parent_code", "is_active"],
    ["DXB", "B1-LOBBY", "Lobby", "B1", ""],
    ["DXB", "B1", "Building 1", "", ""],
    ["DXB", "B1-ROOF", "Roof", "B1", "no"],
    ["AUH", "B1", "Mall block", "", "yes"],
]
ASSETS = [
    ["code", "name", "site_code", "area_code", "asset_class"],
    ["PUMP-1", "Lobby pump", "DXB", "B1-LOBBY", "PUMP"],
    ["PUMP-2", "Mall pump", "AUH", "B1", ""],
]
WORKBOOK = {"lookups": LOOKUPS, "clients": CLIENTS, "sites": SITES, "areas": AREAS, "assets": ASSETS}

STORED_LOOKUPS = [
    ("ASSET_CLASS", "PUMP", "Pump", True),
    ("DEPARTMENT", "OPS", "Operations", True),
    ("DESIGNATION", "OPS", "Operator", False),
]
STORED_AREAS = [
    ("AUH", "B1", "Mall block", None, True),
    ("DXB", "B1", "Building 1", None, True),
    ("DXB", "B1-LOBBY", "Lobby", "B1", True),
    ("DXB", "B1-ROOF", "Roof", "B1", False),
]
STORED_ASSETS = [("PUMP-1", "DXB", "B1-LOBBY", "PUMP"), ("PUMP-2", "AUH", "B1", None)]
Snapshot = tuple[list[Any], list[Any], list[Any], list[Any]]


def xlsx(sheets: dict[str, Any]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_command(tmp_path: Path, data: bytes, name: str = "master.xlsx") -> dict[str, Any]:
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_master_data", "alpha", str(path), stdout=out)
    return json.loads(out.getvalue())


def upload(persona: Any, data: bytes, name: str = "master.xlsx", kind: str = "") -> Any:
    file = io.BytesIO(data)
    file.name = name
    return persona.client().post(IMPORTS, {"file": file, "kind": kind}, format="multipart")


def rejected(response: Any) -> list[tuple[int | None, str | None, str]]:
    assert response.status_code == 400, response.content
    payload = response.json()["error"]
    assert payload["code"] == "import_rejected"
    return [(e["row"], e["column"], e["code"]) for e in payload["details"]["errors"]]


def snapshot(tenant: Any) -> Snapshot:
    with tenant_context(tenant):
        return (
            list(Lookup.objects.order_by("kind", "code").values_list("kind", "code", "name", "is_active")),
            list(Site.objects.order_by("code").values_list("code", "client__code")),
            list(
                Location.objects.order_by("site__code", "code").values_list(
                    "site__code", "code", "name", "parent__code", "is_active"
                )
            ),
            list(Asset.objects.order_by("code").values_list("code", "site__code", "area__code", "asset_class__code")),
        )


EMPTY: Snapshot = ([], [], [], [])


def test_one_workbook_imports_lookups_and_areas_with_what_refers_to_them_and_a_reimport_updates(tenant_a, tmp_path):
    data = xlsx(WORKBOOK)

    assert run_command(tmp_path, data) == {
        "lookups": {"created": 3, "updated": 0},
        "clients": {"created": 1, "updated": 0},
        "sites": {"created": 2, "updated": 0},
        "areas": {"created": 4, "updated": 0},
        "assets": {"created": 2, "updated": 0},
    }
    first = snapshot(tenant_a)
    assert first == (STORED_LOOKUPS, [("AUH", "ACME"), ("DXB", "ACME")], STORED_AREAS, STORED_ASSETS)

    assert run_command(tmp_path, data) == {
        "lookups": {"created": 0, "updated": 3},
        "clients": {"created": 0, "updated": 1},
        "sites": {"created": 0, "updated": 2},
        "areas": {"created": 0, "updated": 4},
        "assets": {"created": 0, "updated": 2},
    }
    assert snapshot(tenant_a) == first


def test_a_reimport_changes_values_and_a_missing_column_leaves_them(tenant_a, tmp_path):
    run_command(tmp_path, xlsx(WORKBOOK))
    lookups = [["kind", "code", "name"], ["DESIGNATION", "OPS", "Site operator"]]
    # A blank parent_code takes the roof out of the building; is_active is no column here.
    areas = [["site_code", "code", "name", "parent_code"], ["DXB", "B1-ROOF", "Roof terrace", ""]]

    assert run_command(tmp_path, xlsx({"lookups": lookups, "areas": areas})) == {
        "lookups": {"created": 0, "updated": 1},
        "areas": {"created": 0, "updated": 1},
    }

    stored_lookups, _, stored_areas, _ = snapshot(tenant_a)
    assert stored_lookups == [*STORED_LOOKUPS[:2], ("DESIGNATION", "OPS", "Site operator", False)]
    assert stored_areas == [*STORED_AREAS[:3], ("DXB", "B1-ROOF", "Roof terrace", None, False)]


def test_a_bad_area_row_writes_nothing_not_even_the_lookups_of_the_file(tenant_a, tenant_a_admin):
    areas = [*AREAS, ["DXB", "B2", "Building 2", "B9", ""]]

    response = upload(tenant_a_admin, xlsx({**WORKBOOK, "areas": areas}))

    assert rejected(response) == [(6, "parent_code", "unknown_parent")]
    assert snapshot(tenant_a) == EMPTY


def test_every_problem_of_the_new_sheets_is_listed(tenant_a, tenant_a_admin):
    with tenant_context(tenant_a):
        gate = factories.site("GATE")
        outer = Location.objects.create(site=gate, code="OUTER", name="Outer")
        Location.objects.create(site=gate, code="INNER", name="Inner", parent=outer)
    before = snapshot(tenant_a)
    lookups = [
        *LOOKUPS,
        ["COLOUR", "RED", "Red", ""],
        ["asset_class", "PUMP", "Pump again", ""],
        ["", "BAD CODE", "", "maybe"],
    ]
    areas = [
        *AREAS,
        ["NOWHERE", "X", "Nowhere", "", ""],
        ["DXB", "B1", "Building 1 again", "", ""],
        ["DXB", "B3", "Building 3", "B9", ""],
        ["DXB", "LOOP-A", "Loop A", "LOOP-B", ""],
        ["DXB", "LOOP-B", "Loop B", "LOOP-A", ""],
        ["DXB", "SELF", "Self", "SELF", ""],
        # The stored INNER is inside OUTER: putting OUTER inside INNER closes a loop.
        ["GATE", "OUTER", "Outer", "INNER", ""],
        ["AUH", "B1-LOBBY", "Lobby of another site's building", "B1-ROOF", ""],
    ]
    # B1-ROOF is an area of DXB, not of AUH; OPS is a department and a designation, not an asset class.
    assets = [*ASSETS, ["PUMP-3", "Pump 3", "AUH", "B1-ROOF", ""], ["PUMP-4", "Pump 4", "DXB", "B1", "OPS"]]

    response = upload(tenant_a_admin, xlsx({**WORKBOOK, "lookups": lookups, "areas": areas, "assets": assets}))

    assert rejected(response) == [
        (5, "kind", "invalid_choice"),
        (6, "code", "duplicate_code_in_file"),
        (7, "kind", "required"),
        (7, "code", "invalid_code"),
        (7, "name", "required"),
        (7, "is_active", "invalid_boolean"),
        (6, "site_code", "unknown_site"),
        (7, "code", "duplicate_code_in_file"),
        (8, "parent_code", "unknown_parent"),
        (9, "parent_code", "parent_cycle"),
        (10, "parent_code", "parent_cycle"),
        (11, "parent_code", "parent_cycle"),
        (12, "parent_code", "parent_cycle"),
        (13, "parent_code", "unknown_parent"),
        (4, "area_code", "unknown_area"),
        (5, "asset_class", "unknown_asset_class"),
    ]
    assert snapshot(tenant_a) == before


def test_another_tenants_sites_and_lookups_are_unknown(tenant_a, tenant_b, tenant_a_admin):
    with tenant_context(tenant_b):
        b_site = factories.site("B-SITE", of=factories.client("B-CLIENT"))
        Location.objects.create(site=b_site, code="B-HALL", name="Hall")
        tenant_services.create_lookup(kind=Lookup.Kind.ASSET_CLASS, code="B-CLASS", name="Bravo's class")
    b_before = snapshot(tenant_b)
    areas = [AREAS[0], ["B-SITE", "HALL-2", "Hall 2", "B-HALL", ""]]
    assets = [ASSETS[0], ["A-PUMP", "Pump", "DXB", "", "B-CLASS"]]

    response = upload(tenant_a_admin, xlsx({"clients": CLIENTS, "sites": SITES, "areas": areas, "assets": assets}))

    assert rejected(response) == [(2, "site_code", "unknown_site"), (2, "asset_class", "unknown_asset_class")]
    assert snapshot(tenant_a) == EMPTY
    assert snapshot(tenant_b) == b_before


def test_the_upload_accepts_the_new_sheets_and_people_name_lookups_of_the_same_file(tenant_a, tenant_a_admin):
    people = [
        ["login", "name", "roles", "department", "designation"],
        ["op1", "Operator One", "guard", "OPS", "OPS"],
    ]

    response = upload(tenant_a_admin, xlsx({**WORKBOOK, "people": people}))

    assert (response.status_code, response.json()) == (
        200,
        {
            "imported": {
                "lookups": {"created": 3, "updated": 0},
                "clients": {"created": 1, "updated": 0},
                "sites": {"created": 2, "updated": 0},
                "areas": {"created": 4, "updated": 0},
                "assets": {"created": 2, "updated": 0},
                "people": {"created": 1, "updated": 0},
            }
        },
    )
    assert snapshot(tenant_a) == (STORED_LOOKUPS, [("AUH", "ACME"), ("DXB", "ACME")], STORED_AREAS, STORED_ASSETS)
    with tenant_context(tenant_a):
        assert list(
            Person.objects.filter(login="op1").values_list(
                "department__kind", "department__code", "designation__kind", "designation__name"
            )
        ) == [("DEPARTMENT", "OPS", "DESIGNATION", "Operator")]

    csv = b"kind,code,name\nevent_type,FIRE,Fire alarm\n"
    response = upload(tenant_a_admin, csv, "lookups.csv", kind="lookups")
    assert (response.status_code, response.json()) == (200, {"imported": {"lookups": {"created": 1, "updated": 0}}})
    csv = b"site_code,code,name,parent_code\nAUH,B1-GATE,Gate,B1\n"
    response = upload(tenant_a_admin, csv, "areas.csv", kind="areas")
    assert (response.status_code, response.json()) == (200, {"imported": {"areas": {"created": 1, "updated": 0}}})
    with tenant_context(tenant_a):
        assert list(Lookup.objects.filter(kind=Lookup.Kind.EVENT_TYPE).values_list("code", "name")) == [
            ("FIRE", "Fire alarm")
        ]
        assert list(Location.objects.filter(code="B1-GATE").values_list("site__code", "parent__code")) == [
            ("AUH", "B1")
        ]


def test_a_guard_may_not_upload_lookups_or_areas(tenant_a, tenant_a_guard):
    response = upload(tenant_a_guard, xlsx({"lookups": LOOKUPS}))

    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert snapshot(tenant_a) == EMPTY
