"""Bulk import of assets and checkpoints, alone and with the clients and sites they refer to."""

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
from apps.sites.models import Client, Site

from .factories import make_asset, make_site

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"
HEADER = [
    "code",
    "name",
    "kind",
    "site_code",
    "area_code",
    "parent_code",
    "asset_class",
    "status",
    "tag",
    "longitude",
    "latitude",
    "meter_unit",
    "meter_min",
    "meter_max",
]
CLIENTS = [["code", "name"], ["ACME", "Acme Corp"]]
SITES = [
    ["code", "name", "client_code", "longitude", "latitude"],
    ["DXB", "Dubai Tower", "ACME", 55.27, 25.2],
]
# The part (GEN-1-FAN) comes before its parent (GEN-1): the importer writes parents first.
ASSETS = [
    HEADER,
    ["GEN-1-FAN", "Generator fan", "", "DXB", "", "GEN-1", "", "", "", None, None, "", None, None],
    ["GEN-1", "Generator", "asset", "DXB", "", "", "PUMP", "standby", "QR-GEN-1", 55.2701, 25.2001, "h", 0, 50000],
    ["CP-1", "Lobby checkpoint", "CHECKPOINT", "DXB", "", "", "", "", "NFC-CP-1", None, None, "", None, None],
    ["N-PUMP", "North pump", "", "NORTH", "N-LOBBY", "", "PUMP", "", "QR-N-PUMP", None, None, "bar", 1.5, 16],
]


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


def upload(persona: Any, data: bytes, name: str = "master.xlsx", kind: str = "") -> Any:
    file = io.BytesIO(data)
    file.name = name
    return persona.client().post(IMPORTS, {"file": file, "kind": kind}, format="multipart")


def rejected(response: Any) -> list[tuple[int | None, str | None, str]]:
    assert response.status_code == 400, response.content
    payload = response.json()["error"]
    assert payload["code"] == "import_rejected"
    return [(e["row"], e["column"], e["code"]) for e in payload["details"]["errors"]]


def assets(tenant: Any) -> list[tuple[Any, ...]]:
    with tenant_context(tenant):
        return list(
            Asset.objects.order_by("code").values_list(
                "code",
                "name",
                "kind",
                "site__code",
                "area__code",
                "parent__code",
                "asset_class__code",
                "status",
                "tag",
                "meter",
                "is_active",
            )
        )


EXPECTED = [
    ("CP-1", "Lobby checkpoint", "CHECKPOINT", "DXB", None, None, None, "WORKING", "NFC-CP-1", {}, True),
    (
        "GEN-1",
        "Generator",
        "ASSET",
        "DXB",
        None,
        None,
        "PUMP",
        "STANDBY",
        "QR-GEN-1",
        {"unit": "h", "min": 0, "max": 50000},
        True,
    ),
    ("GEN-1-FAN", "Generator fan", "ASSET", "DXB", None, "GEN-1", None, "WORKING", "", {}, True),
    (
        "N-PUMP",
        "North pump",
        "ASSET",
        "NORTH",
        "N-LOBBY",
        None,
        "PUMP",
        "WORKING",
        "QR-N-PUMP",
        {"unit": "bar", "min": 1.5, "max": 16},
        True,
    ),
]


def test_one_workbook_with_clients_sites_and_assets_then_a_reimport_updates(tenant_a, tenant_a_admin, world):
    data = xlsx({"clients": CLIENTS, "sites": SITES, "assets": ASSETS})

    response = upload(tenant_a_admin, data)

    assert (response.status_code, response.json()) == (
        200,
        {
            "imported": {
                "clients": {"created": 1, "updated": 0},
                "sites": {"created": 1, "updated": 0},
                "assets": {"created": 4, "updated": 0},
            }
        },
    )
    assert assets(tenant_a) == EXPECTED
    with tenant_context(tenant_a):
        generator = Asset.objects.get(code="GEN-1")
        assert (generator.location.x, generator.location.y) == (55.2701, 25.2001)
        assert Asset.objects.get(code="CP-1").location is None

    again = upload(tenant_a_admin, data)

    assert again.json() == {
        "imported": {
            "clients": {"created": 0, "updated": 1},
            "sites": {"created": 0, "updated": 1},
            "assets": {"created": 0, "updated": 4},
        }
    }
    assert assets(tenant_a) == EXPECTED
    with tenant_context(tenant_a):
        # NORTH and SOUTH (and a client each) come from the fixture; the file added one of each.
        assert (Client.objects.count(), Site.objects.count()) == (3, 3)


def test_command_with_a_csv_and_a_blank_cell_that_clears(tenant_a, world, tmp_path: Path):
    with tenant_context(tenant_a):
        make_asset(world.north, "N-1", area=world.north_area, tag="OLD-TAG", meter={"unit": "kWh", "multiplier": 2})
    path = tmp_path / "assets.csv"
    path.write_text("code,name,site_code,area_code,tag,meter_max\nN-1,Renamed,NORTH,,,900\nN-2,New,SOUTH,S-DOCK,T2,\n")
    out = io.StringIO()

    call_command("import_master_data", "alpha", str(path), "--kind", "assets", stdout=out)

    assert json.loads(out.getvalue()) == {"assets": {"created": 1, "updated": 1}}
    assert assets(tenant_a) == [
        # The meter unit and multiplier have no column here and stay; the area and tag are cleared.
        (
            "N-1",
            "Renamed",
            "ASSET",
            "NORTH",
            None,
            None,
            None,
            "WORKING",
            "",
            {"unit": "kWh", "multiplier": 2, "max": 900},
            True,
        ),
        ("N-2", "New", "ASSET", "SOUTH", "S-DOCK", None, None, "WORKING", "T2", {}, True),
    ]


def test_one_bad_row_among_good_ones_writes_nothing(tenant_a, tenant_a_admin, world):
    with tenant_context(tenant_a):
        make_asset(world.south, "S-VALVE", tag="QR-TAKEN")
    bad = [
        *ASSETS,
        ["GEN-1", "Generator again", "", "DXB", "", "", "", "", "", None, None, "", None, None],
        ["X-1", "", "ROBOT", "NOWHERE", "", "", "OPS", "BROKEN", "QR-TAKEN", 55.2, None, "", "lots", None],
        ["X-2", "Two", "", "NORTH", "S-DOCK", "S-VALVE", "", "", "NFC-CP-1", 190, 25, "", 10, 5],
        ["X-3", "Three", "", "NORTH", "", "X-3", "", "", "", None, None, "", None, None],
        ["X-4", "Four", "", "NORTH", "", "MISSING", "", "", "", None, None, "", None, None],
    ]

    response = upload(tenant_a_admin, xlsx({"clients": CLIENTS, "sites": SITES, "assets": bad}))

    assert rejected(response) == [
        (6, "code", "duplicate_code_in_file"),
        (7, "name", "required"),
        (7, "site_code", "unknown_site"),
        (7, "kind", "invalid_kind"),
        (7, "status", "invalid_status"),
        (7, "asset_class", "unknown_asset_class"),
        (7, "tag", "duplicate_tag"),
        (7, "latitude", "required"),
        (7, "meter_min", "invalid_number"),
        (8, "area_code", "unknown_area"),
        (8, "tag", "duplicate_code_in_file"),
        (8, "longitude", "longitude_out_of_range"),
        (8, "meter_max", "invalid_meter"),
        (9, "parent_code", "parent_cycle"),
        (10, "parent_code", "unknown_parent"),
    ]
    assert assets(tenant_a) == [
        ("S-VALVE", "Asset S-VALVE", "ASSET", "SOUTH", None, None, None, "WORKING", "QR-TAKEN", {}, True)
    ]
    with tenant_context(tenant_a):
        assert (Client.objects.filter(code="ACME").exists(), Site.objects.filter(code="DXB").exists()) == (False, False)


def test_a_parent_at_another_site_and_a_loop_through_the_database_are_refused(tenant_a, tenant_a_admin, world):
    with tenant_context(tenant_a):
        frame = make_asset(world.north, "FRAME")
        make_asset(world.north, "MOTOR", parent=frame)
        make_asset(world.south, "S-PUMP")
    wrong_site = [HEADER[:6], ["N-NEW", "New", "", "NORTH", "", "S-PUMP"]]
    assert rejected(upload(tenant_a_admin, xlsx({"assets": wrong_site}))) == [(2, "parent_code", "parent_not_in_site")]

    # Each row is valid alone; FRAME would become a part of MOTOR, its own part.
    loop = [HEADER[:6], ["NEW-1", "New", "", "NORTH", "", ""], ["FRAME", "Frame", "", "NORTH", "", "MOTOR"]]
    assert rejected(upload(tenant_a_admin, xlsx({"assets": loop}))) == [(3, "parent_code", "parent_cycle")]
    assert [row[0] for row in assets(tenant_a)] == ["FRAME", "MOTOR", "S-PUMP"]


def test_new_assets_that_are_parts_of_each_other_are_refused(tenant_a, tenant_a_admin, world):
    loop = [
        HEADER[:6],
        ["A-1", "One", "", "NORTH", "", "A-2"],
        ["A-2", "Two", "", "NORTH", "", "A-3"],
        ["A-3", "Three", "", "NORTH", "", "A-1"],
        ["B-1", "Fine", "", "NORTH", "", "A-1"],
    ]
    assert rejected(upload(tenant_a_admin, xlsx({"assets": loop}))) == [
        (2, "parent_code", "parent_cycle"),
        (3, "parent_code", "parent_cycle"),
        (4, "parent_code", "parent_cycle"),
    ]
    assert assets(tenant_a) == []


def test_another_tenants_site_is_unknown(tenant_a, tenant_b, tenant_a_admin, world):
    with tenant_context(tenant_b):
        make_site("B-SITE")
    rows = [HEADER[:4], ["A-1", "Mine", "", "NORTH"], ["A-2", "Theirs", "", "B-SITE"]]

    assert rejected(upload(tenant_a_admin, xlsx({"assets": rows}))) == [(3, "site_code", "unknown_site")]
    assert assets(tenant_a) == []
    assert assets(tenant_b) == []


def test_formula_and_wrong_header_are_refused(tenant_a, tenant_a_admin, world):
    formula = [HEADER[:4], ["A-1", "=1+1", "", "NORTH"]]
    assert rejected(upload(tenant_a_admin, xlsx({"assets": formula}))) == [(2, "name", "formula_not_allowed")]

    header = [["code", "name", "site", "colour"], ["A-1", "Pump", "NORTH", "red"]]
    assert rejected(upload(tenant_a_admin, xlsx({"assets": header}))) == [
        (1, "site_code", "missing_column"),
        (1, "site", "unknown_column"),
        (1, "colour", "unknown_column"),
    ]
    assert assets(tenant_a) == []
