"""The spreadsheet reader: what it accepts, and every way it refuses a file."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from apps.core.importing import MAX_FILE_BYTES, ImportRejected, check_headers, read_workbook


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def codes(exc: ImportRejected) -> list[tuple[int | None, str | None, str]]:
    return [(e.row, e.column, e.code) for e in exc.errors]


def test_xlsx_sheets_headers_and_rows():
    data = xlsx(
        {"Sites": [["Code", "Name", "Radius m"], ["S1", "Gate", 150], [None, None, None], ["S2", "Dock", 75.0]]}
    )
    [sheet] = read_workbook(data, "master.xlsx")
    assert sheet.name == "sites"
    assert sheet.headers == ["code", "name", "radius_m"]
    assert sheet.rows == [
        (2, {"code": "S1", "name": "Gate", "radius_m": "150"}),
        (4, {"code": "S2", "name": "Dock", "radius_m": "75"}),
    ]


def test_csv_with_bom_and_semicolons():
    data = "\ufeffcode;name\nS1;São Paulo depot\n".encode()
    [sheet] = read_workbook(data, "sites.csv", default_name="sites")
    assert (sheet.name, sheet.rows) == ("sites", [(2, {"code": "S1", "name": "São Paulo depot"})])


def test_formulas_are_refused_with_their_cells():
    data = xlsx({"sites": [["code", "name"], ["S1", '=HYPERLINK("http://x")'], ["S2", "ok"], ["=1+1", "x"]]})
    with pytest.raises(ImportRejected) as refused:
        read_workbook(data, "m.xlsx")
    assert codes(refused.value) == [(2, "name", "formula_not_allowed"), (4, "code", "formula_not_allowed")]
    csv_data = b"code,name\nS1,=cmd|' /C calc'!A0\n"
    with pytest.raises(ImportRejected) as refused_csv:
        read_workbook(csv_data, "m.csv", "sites")
    assert codes(refused_csv.value) == [(2, "name", "formula_not_allowed")]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"x" * (MAX_FILE_BYTES + 1), "big.xlsx", "file_too_large"),
        (b"not a zip", "broken.xlsx", "unreadable_file"),
        (b"code,name\n", "empty.csv", "empty_file"),
        (b"\xff\xfe\x00bad", "latin.csv", "unreadable_file"),
        (b"whatever", "notes.txt", "unsupported_file_type"),
    ],
)
def test_unreadable_files(data, filename, code):
    with pytest.raises(ImportRejected) as refused:
        read_workbook(data, filename, "sites")
    assert [e.code for e in refused.value.errors] == [code]
    assert refused.value.code == "import_rejected"


def test_zip_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (101 * 1024 * 1024))
    with pytest.raises(ImportRejected) as refused:
        read_workbook(buffer.getvalue(), "bomb.xlsx")
    assert [e.code for e in refused.value.errors] == ["file_too_large"]


def test_header_check_reports_missing_and_unknown_columns():
    [sheet] = read_workbook(b"code,nmae,colour\nS1,x,red\n", "s.csv", "sites")
    errors = check_headers(sheet, required=["code", "name"], optional=["radius_m"])
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "name", "missing_column"),
        (1, "nmae", "unknown_column"),
        (1, "colour", "unknown_column"),
    ]
