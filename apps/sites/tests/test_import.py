"""Bulk import of clients, sites and shifts: the command and the upload, all or nothing."""

from __future__ import annotations

import io
import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from apps.core.tenancy import tenant_context
from apps.sites.models import Client, Shift, Site

from . import factories

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"
FENCE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [[[77.58, 12.96], [77.60, 12.96], [77.60, 12.98], [77.58, 12.98], [77.58, 12.96]]],
    }
)
BOWTIE = json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})

CLIENTS = [
    ["code", "name", "contract_start", "contract_end", "is_active"],
    ["ACME", "Acme Corp", date(2025, 1, 1), date(2026, 12, 31), "yes"],
    ["GLOBEX", "Globex", None, None, None],
]
SITES = [
    [
        "code",
        "name",
        "client_code",
        "longitude",
        "latitude",
        "radius_m",
        "timezone",
        "address",
        "geofence",
        "is_active",
    ],
    ["BLR-HQ", "Bangalore HQ", "ACME", 77.59, 12.97, 150, "Asia/Kolkata", "1 MG Road", FENCE, "yes"],
    ["BLR-DC", "Bangalore DC", "GLOBEX", 77.61, 12.99, None, None, None, None, None],
]
SHIFTS = [
    ["site_code", "name", "start_time", "end_time", "headcount"],
    ["BLR-HQ", "Day", time(8, 0), time(20, 0), 3],
    ["BLR-HQ", "Night", "20:00", "08:00", 2],
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


def run_command(tmp_path: Path, data: bytes, name: str = "master.xlsx", *args: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_master_data", "alpha", str(path), *args, stdout=out)
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


def snapshot(tenant: Any) -> tuple[list[Any], list[Any], list[Any]]:
    with tenant_context(tenant):
        return (
            list(Client.objects.order_by("code").values_list("code", "name", "contract_start", "is_active")),
            list(
                Site.objects.order_by("code").values_list(
                    "code", "name", "client__code", "radius_m", "timezone", "address", "is_active"
                )
            ),
            list(
                Shift.objects.order_by("name").values_list("site__code", "name", "start_time", "end_time", "headcount")
            ),
        )


def test_command_imports_every_sheet_and_a_reimport_only_updates(tenant_a, tmp_path):
    data = xlsx({"Clients": CLIENTS, "Sites": SITES, "Shifts": SHIFTS})

    assert run_command(tmp_path, data) == {
        "clients": {"created": 2, "updated": 0},
        "sites": {"created": 2, "updated": 0},
        "shifts": {"created": 2, "updated": 0},
    }
    first = snapshot(tenant_a)
    assert first == (
        [("ACME", "Acme Corp", date(2025, 1, 1), True), ("GLOBEX", "Globex", None, True)],
        [
            ("BLR-DC", "Bangalore DC", "GLOBEX", 100, "UTC", "", True),
            ("BLR-HQ", "Bangalore HQ", "ACME", 150, "Asia/Kolkata", "1 MG Road", True),
        ],
        [("BLR-HQ", "Day", time(8), time(20), 3), ("BLR-HQ", "Night", time(20), time(8), 2)],
    )
    with tenant_context(tenant_a):
        hq = Site.objects.get(code="BLR-HQ")
        assert (hq.location.x, hq.location.y) == (77.59, 12.97)
        assert hq.geofence.coords == (((77.58, 12.96), (77.6, 12.96), (77.6, 12.98), (77.58, 12.98), (77.58, 12.96)),)
        assert Site.objects.get(code="BLR-DC").geofence is None
        assert Client.objects.get(code="ACME").contract_end == date(2026, 12, 31)

    assert run_command(tmp_path, data) == {
        "clients": {"created": 0, "updated": 2},
        "sites": {"created": 0, "updated": 2},
        "shifts": {"created": 0, "updated": 2},
    }
    assert snapshot(tenant_a) == first


def test_reimport_changes_values_and_a_missing_column_leaves_them(tenant_a, tmp_path):
    run_command(tmp_path, xlsx({"clients": CLIENTS, "sites": SITES}))
    changed = [
        ["code", "name", "client_code", "longitude", "latitude", "geofence", "is_active"],
        ["BLR-HQ", "HQ renamed", "GLOBEX", 77.5, 13.0, "", "no"],
    ]

    assert run_command(tmp_path, xlsx({"sites": changed})) == {"sites": {"created": 0, "updated": 1}}

    with tenant_context(tenant_a):
        hq = Site.objects.get(code="BLR-HQ")
        # radius_m, timezone and address are not columns of this sheet: they keep their values.
        assert (hq.name, hq.client.code, hq.radius_m, hq.timezone, hq.address, hq.is_active) == (
            "HQ renamed",
            "GLOBEX",
            150,
            "Asia/Kolkata",
            "1 MG Road",
            False,
        )
        assert (hq.location.x, hq.location.y, hq.geofence) == (77.5, 13.0, None)
        assert Site.objects.count() == 2


def test_one_bad_row_writes_nothing_and_every_problem_is_listed(tenant_a, tenant_a_admin):
    clients = [*CLIENTS, ["ACME", "Acme again", None, None, None], ["BAD CODE", "", "2025-02-30", None, "maybe"]]
    sites = [
        *SITES,
        ["S3", "Nowhere", "NOBODY", 77.6, 200, None, None, None, None, None],
        ["S4", "Bowtie", "ACME", 77.6, 12.9, -5, "Mars/Olympus", None, BOWTIE, None],
        ["BLR-HQ", "Twice", "ACME", None, 12.9, None, None, None, None, None],
    ]
    shifts = [*SHIFTS, ["BLR-HQ", "Day", "09:00", "17:00", 0], ["GHOST", "Late", "25:00", "9:00", None]]

    response = upload(tenant_a_admin, xlsx({"clients": clients, "sites": sites, "shifts": shifts}))

    assert rejected(response) == [
        (4, "code", "duplicate_code_in_file"),
        (5, "code", "invalid_code"),
        (5, "name", "required"),
        (5, "contract_start", "invalid_date"),
        (5, "is_active", "invalid_boolean"),
        (4, "client_code", "unknown_client"),
        (4, "latitude", "latitude_out_of_range"),
        (5, "radius_m", "invalid_number"),
        (5, "timezone", "unknown_timezone"),
        (5, "geofence", "invalid_polygon"),
        (6, "code", "duplicate_code_in_file"),
        (6, "longitude", "required"),
        (4, "name", "duplicate_code_in_file"),
        (4, "headcount", "invalid_number"),
        (5, "site_code", "unknown_site"),
        (5, "start_time", "invalid_time"),
    ]
    assert snapshot(tenant_a) == ([], [], [])


def test_upload_as_admin_and_csv_by_kind(tenant_a, tenant_a_admin, tenant_a_guard):
    denied = upload(tenant_a_guard, xlsx({"clients": CLIENTS}))
    assert denied.status_code == 403
    assert snapshot(tenant_a) == ([], [], [])

    response = upload(tenant_a_admin, xlsx({"clients": CLIENTS}))
    assert (response.status_code, response.json()) == (200, {"imported": {"clients": {"created": 2, "updated": 0}}})

    csv = b"code,name,client_code,longitude,latitude\nCSV-1,From csv,ACME,77.1,12.1\n"
    response = upload(tenant_a_admin, csv, "sites.csv", kind="sites")
    assert (response.status_code, response.json()) == (200, {"imported": {"sites": {"created": 1, "updated": 0}}})
    with tenant_context(tenant_a):
        assert list(Site.objects.values_list("code", "client__code", "radius_m")) == [("CSV-1", "ACME", 100)]


def test_another_tenants_codes_are_unknown(tenant_a, tenant_b, tenant_a_admin):
    with tenant_context(tenant_b):
        factories.site("B-SITE", of=factories.client("B-CLIENT"))
    sites = [SITES[0], ["A-SITE", "Site A", "B-CLIENT", 77.59, 12.97, None, None, None, None, None]]
    shifts = [SHIFTS[0], ["B-SITE", "Day", "08:00", "16:00", 1]]

    response = upload(tenant_a_admin, xlsx({"sites": sites, "shifts": shifts}))

    assert rejected(response) == [(2, "client_code", "unknown_client"), (2, "site_code", "unknown_site")]
    assert snapshot(tenant_a) == ([], [], [])
    with tenant_context(tenant_b):
        assert list(Site.objects.values_list("code", "name")) == [("B-SITE", "Site B-SITE")]
        assert Shift.objects.count() == 0


def test_formula_and_wrong_header_are_refused(tenant_a, tenant_a_admin, tmp_path):
    formula = [*CLIENTS, ["EVIL", '=HYPERLINK("http://example.com","x")', None, None, None]]
    assert rejected(upload(tenant_a_admin, xlsx({"clients": formula}))) == [(4, "name", "formula_not_allowed")]

    header = [["code", "nmae", "client_code", "longitude", "latitude"], ["S1", "x", "ACME", 1, 1]]
    assert rejected(upload(tenant_a_admin, xlsx({"clients": CLIENTS, "sites": header}))) == [
        (1, "name", "missing_column"),
        (1, "nmae", "unknown_column"),
    ]

    with pytest.raises(CommandError, match="1 problem"):
        run_command(tmp_path, xlsx({"clients": formula}))
    assert snapshot(tenant_a) == ([], [], [])


def test_a_service_refusal_rolls_back_the_rows_already_written(tenant_a, tenant_a_admin):
    # The file is valid row by row, but the service refuses an update that moves a
    # contract end before its existing start; the clients written before it are undone.
    with tenant_context(tenant_a):
        factories.client("OLD", contract_start=date(2025, 6, 1))
    clients = [["code", "name", "contract_end"], ["NEW", "New", None], ["OLD", "Old", date(2025, 1, 1)]]

    assert rejected(upload(tenant_a_admin, xlsx({"clients": clients}))) == [(3, None, "contract_end_before_start")]
    with tenant_context(tenant_a):
        assert list(Client.objects.values_list("code", "contract_end")) == [("OLD", None)]


def test_a_50_mb_upload_is_refused_before_it_is_read(tenant_a, tenant_a_admin):
    response = upload(tenant_a_admin, b"x" * (50 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert snapshot(tenant_a) == ([], [], [])
