"""``POST /api/v1/imports/``: who may upload, what it refuses, and whose data it touches."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.gis.geos import Point
from openpyxl import Workbook

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites.models import Client, Site

URL = "/api/v1/imports/"
PEOPLE: list[Any] = [["login", "name", "roles", "home_site_code"], ["guard", "Bravo's own guard", "guard", ""]]


def xlsx(sheets: Mapping[str, Sequence[Sequence[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_file(data: bytes, name: str = "master.xlsx") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def people(tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(Person.objects.order_by("login").values_list("login", "name"))


def test_anonymous_is_refused(api, tenant_a):
    response = api.post(URL, {"file": as_file(xlsx({"people": PEOPLE}))}, format="multipart")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")
    assert people(tenant_a) == []


def test_a_guard_may_not_import(tenant_a, tenant_a_guard):
    before = people(tenant_a)
    rows = [PEOPLE[0], ["newcomer", "Newcomer", "admin", ""]]
    response = tenant_a_guard.client().post(URL, {"file": as_file(xlsx({"people": rows}))}, format="multipart")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert people(tenant_a) == before == [("guard", "Guard")]


def test_another_tenants_admin_neither_sees_nor_touches_tenant_a(tenant_a, tenant_a_guard, tenant_b, tenant_b_admin):
    with tenant_context(tenant_a):
        client = Client.objects.create(code="CL", name="Client")
        Site.objects.create(client=client, code="A-HQ", name="HQ", location=Point(77.59, 12.97, srid=4326))
    refused = tenant_b_admin.client().post(
        URL,
        {"file": as_file(xlsx({"people": [PEOPLE[0], ["newcomer", "New", "guard", "A-HQ"]]}))},
        format="multipart",
    )
    assert refused.status_code == 400
    assert [(e["row"], e["column"], e["code"]) for e in refused.json()["error"]["details"]["errors"]] == [
        (2, "home_site_code", "unknown_site")
    ]
    # Tenant A has a "guard" too: the upload creates tenant B's own, and A's stays as it was.
    response = tenant_b_admin.client().post(URL, {"file": as_file(xlsx({"people": PEOPLE}))}, format="multipart")
    assert (response.status_code, response.json()) == (200, {"imported": {"people": {"created": 1, "updated": 0}}})
    assert people(tenant_a) == [("guard", "Guard")]
    assert people(tenant_b) == [("admin", "Admin"), ("guard", "Bravo's own guard")]


def test_a_50_mb_upload_is_refused_before_it_is_read(tenant_a, tenant_a_admin):
    body = b"x" * (50 * 1024 * 1024)
    response = tenant_a_admin.client().post(URL, data=body, content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"] == {"max_bytes": 10 * 1024 * 1024 + 64 * 1024}


def test_wrong_content_type(tenant_a, tenant_a_admin):
    response = tenant_a_admin.client().post(URL, {"kind": "people"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")


def test_missing_file(tenant_a, tenant_a_admin):
    response = tenant_a_admin.client().post(URL, {"kind": "people"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["details"]["fields"]) == ["file"]


def test_files_that_are_not_workbooks(tenant_a, tenant_a_admin):
    client = tenant_a_admin.client()
    response = client.post(URL, {"file": as_file(b"login,name\n", "people.txt")}, format="multipart")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["error"]["details"]["errors"]] == ["unsupported_file_type"]
    response = client.post(URL, {"file": as_file(b"login,name,roles\nx,X,guard\n", "people.csv")}, format="multipart")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["error"]["details"]["errors"]] == ["unknown_sheet"]
    response = client.post(
        URL, {"file": as_file(b"login,name,roles\nx,X,guard\n", "people.csv"), "kind": "people"}, format="multipart"
    )
    assert (response.status_code, response.json()) == (200, {"imported": {"people": {"created": 1, "updated": 0}}})
