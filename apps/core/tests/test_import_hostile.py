"""Hostile spreadsheets: each is refused in the import's own report (a file or row error
with its code), through the reader, ``POST /api/v1/imports/`` and ``import_master_data``
alike, and nothing is written. Each of these was a 500 (or, for a DTD, an expanded entity)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.core.importing import ImportRejected, read_workbook
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites.models import Site

from .test_import_upload import as_file, xlsx

URL = "/api/v1/imports/"


def report(data: bytes, filename: str, kind: str = "") -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportRejected) as refused:
        read_workbook(data, filename, kind)
    return [(e.row, e.column, e.code) for e in refused.value.errors]


def with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """``workbook`` with one part replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        target.writestr(name, content)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"""


def test_a_csv_cell_over_the_field_limit_is_a_row_error() -> None:
    data = b"code,name\nS1,ok\nS2," + b"x" * (128 * 1024 + 1) + b"\nS3,ok\n"
    assert report(data, "sites.csv", "sites") == [(3, None, "cell_too_large")]


def test_nul_in_a_cell_is_a_row_error() -> None:
    csv_data = b"login,name\nok,Fine\nbad\x00login,Name\n"
    assert report(csv_data, "people.csv", "people") == [(3, "login", "invalid_characters")]


@pytest.mark.parametrize("reference", [b"&#0;", b"&#xD800;"])
def test_xml_cannot_carry_nul_or_a_lone_surrogate(reference: bytes) -> None:
    # XML forbids both characters, even as references: the workbook is unreadable, not a 500.
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
        b'/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row><row r="2">'
        b'<c r="A2" t="inlineStr"><is><t>S' + reference + b"</t></is></c></row></sheetData></worksheet>"
    )
    workbook = with_part(xlsx({"sites": [["code"], ["S1"]]}), SHEET, sheet)
    assert report(workbook, "m.xlsx") == [(None, None, "unreadable_file")]


def test_a_workbook_with_a_dtd_is_refused_before_it_is_parsed() -> None:
    workbook = with_part(xlsx({"sites": [["code", "name"], ["S1", "x"]]}), SHEET, LAUGHS)
    assert report(workbook, "laughs.xlsx") == [(None, None, "dtd_not_allowed")]
    # Hidden past the first chunk, or in lower case, it is found all the same.
    padded = LAUGHS.replace(b"<!DOCTYPE", b"<!--" + b" " * 200_000 + b"-->\n<!doctype")
    assert report(with_part(workbook, SHEET, padded), "laughs.xlsx") == [(None, None, "dtd_not_allowed")]


@pytest.mark.parametrize(
    "content",
    [
        '<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-<worksheet/>',
        b"\x00<worksheet/>",
    ],
)
def test_xml_parts_must_be_utf8(content: bytes) -> None:
    workbook = with_part(xlsx({"sites": [["code", "name"], ["S1", "x"]]}), SHEET, content)
    assert report(workbook, "m.xlsx") == [(None, None, "unsupported_encoding")]


def test_a_zip_of_too_many_parts_or_too_well_compressed_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(1001):
            archive.writestr(f"part{n}.bin", b"")
    assert report(buffer.getvalue(), "parts.xlsx") == [(None, None, "too_many_parts")]
    dense = with_part(xlsx({"sites": [["code"], ["S1"]]}), "xl/media/fill.bin", b"\x00" * (50 * 1024 * 1024))
    assert report(dense, "dense.xlsx") == [(None, None, "compression_ratio_too_high")]


def test_broken_xml_is_an_unreadable_file() -> None:
    workbook = with_part(xlsx({"sites": [["code", "name"], ["S1", "x"]]}), SHEET, b"<worksheet><sheetData>")
    assert report(workbook, "broken.xlsx") == [(None, None, "unreadable_file")]


def _errors(response: Any) -> list[tuple[int | None, str | None, str]]:
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (400, "import_rejected"), response.content
    return [(e["row"], e["column"], e["code"]) for e in body["details"]["errors"]]


def test_uploads_report_each_problem_and_write_nothing(tenant_a_admin: Any) -> None:
    client = tenant_a_admin.client()
    deep = "[" * 5000 + "]" * 5000
    sites_csv = f'code,client_code,name,longitude,latitude,geofence\nS1,NOPE,Gate,77.59,12.97,"{deep}"\n'.encode()
    cases = [
        (as_file(b"login,name,roles\nnul\x00,Nul,guard\n", "people.csv"), "people", "login"),
        (as_file(sites_csv, "sites.csv"), "sites", "geofence"),
    ]
    for file, kind, column in cases:
        errors = _errors(client.post(URL, {"file": file, "kind": kind}, format="multipart"))
        assert (2, column, "invalid_characters" if column == "login" else "too_deeply_nested") in errors, errors
    laughs = with_part(xlsx({"people": [["login", "name", "roles"], ["x", "X", "guard"]]}), SHEET, LAUGHS)
    assert _errors(client.post(URL, {"file": as_file(laughs)}, format="multipart")) == [(None, None, "dtd_not_allowed")]
    with tenant_context(tenant_a_admin.tenant):
        assert list(Person.objects.values_list("login", flat=True)) == ["admin"]
        assert not Site.objects.exists()


def test_the_command_reports_the_same_codes(tenant_a: Any, tmp_path: Path) -> None:
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(with_part(xlsx({"sites": [["code", "name"], ["S1", "x"]]}), SHEET, LAUGHS))
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_master_data", tenant_a.slug, str(path), stderr=errors)
    assert "[dtd_not_allowed]" in errors.getvalue()
    with tenant_context(tenant_a):
        assert not Site.objects.exists()
