"""Bulk import of people and teams through the command and the upload."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from apps.core.tenancy import tenant_context
from apps.people.models import Person, Team
from apps.sites.models import Client, Site
from apps.tenants.models import Lookup
from conftest import make_persona

HEADERS = [
    "login",
    "name",
    "code",
    "email",
    "mobile",
    "roles",
    "home_site_code",
    "reports_to_login",
    "department",
    "designation",
    "is_active",
]
# g1 reports to sup1, who is defined later; sup1 reports to boss, defined earlier.
PEOPLE: list[Any] = [
    HEADERS,
    ["boss", "Big Boss", "E-001", "boss@example.com", "+911", "admin", "HQ", "", "OPS", "MGR", "yes"],
    ["g1", "Guard One", "E-002", "", "", "guard", "HQ", "sup1", "OPS", "GRD", ""],
    ["sup1", "Sup One", "E-003", "", "", "supervisor|guard", "", "boss", "", "", "true"],
]


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


def run_command(tmp_path, slug: str, data: bytes, name: str = "master.xlsx", *args: str) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_master_data", slug, str(path), *args, stdout=out)
    return json.loads(out.getvalue())


def upload(persona, data: bytes, name: str = "master.xlsx", kind: str = ""):
    file = io.BytesIO(data)
    file.name = name
    return persona.client().post("/api/v1/imports/", {"file": file, "kind": kind}, format="multipart")


def error_list(response) -> list[tuple[int | None, str | None, str]]:
    return [(e["row"], e["column"], e["code"]) for e in response.json()["error"]["details"]["errors"]]


def make_site(code: str) -> Site:
    client, _ = Client.objects.get_or_create(code="CL", defaults={"name": "Client"})
    return Site.objects.create(client=client, code=code, name=code, location=Point(77.59, 12.97, srid=4326))


@pytest.fixture
def master(tenant_a):
    with tenant_context(tenant_a):
        site = make_site("HQ")
        ops = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
        mgr = Lookup.objects.create(kind=Lookup.Kind.DESIGNATION, code="MGR", name="Manager")
        grd = Lookup.objects.create(kind=Lookup.Kind.DESIGNATION, code="GRD", name="Guard")
    return {"site": site, "ops": ops, "mgr": mgr, "grd": grd}


def snapshot(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return [
            (
                p.login,
                p.name,
                p.code,
                p.email,
                p.mobile,
                p.role_codes(),
                p.home_site.code if p.home_site else None,
                p.reports_to.login if p.reports_to else None,
                p.department.code if p.department else None,
                p.designation.code if p.designation else None,
                p.is_active,
                p.has_usable_password(),
            )
            for p in Person.objects.order_by("login")
        ]


def test_command_imports_people_with_references_both_ways(tmp_path, tenant_a, master):
    assert run_command(tmp_path, "alpha", xlsx({"people": PEOPLE})) == {"people": {"created": 3, "updated": 0}}
    assert snapshot(tenant_a) == [
        ("boss", "Big Boss", "E-001", "boss@example.com", "+911", ["admin"], "HQ", None, "OPS", "MGR", True, False),
        ("g1", "Guard One", "E-002", "", "", ["guard"], "HQ", "sup1", "OPS", "GRD", True, False),
        ("sup1", "Sup One", "E-003", "", "", ["guard", "supervisor"], None, "boss", None, None, True, False),
    ]


def test_reimport_updates_and_never_duplicates(tmp_path, tenant_a, master):
    data = xlsx({"people": PEOPLE})
    run_command(tmp_path, "alpha", data)
    first = snapshot(tenant_a)
    assert run_command(tmp_path, "alpha", data) == {"people": {"created": 0, "updated": 3}}
    assert snapshot(tenant_a) == first
    edited = [row[:] for row in PEOPLE]
    edited[2][1], edited[2][10] = "Guard Renamed", "no"  # g1 leaves
    edited[3][7] = ""  # sup1 no longer reports to anyone
    assert run_command(tmp_path, "alpha", xlsx({"people": edited})) == {"people": {"created": 0, "updated": 3}}
    with tenant_context(tenant_a):
        g1, sup1 = Person.objects.get(login="g1"), Person.objects.get(login="sup1")
        assert (g1.name, g1.is_active, g1.left_on is not None, g1.reports_to.login) == (
            "Guard Renamed",
            False,
            True,
            "sup1",
        )
        assert sup1.reports_to_id is None
        assert Person.objects.count() == 3


def test_reimport_keeps_a_password_set_since(tmp_path, tenant_a, master):
    run_command(tmp_path, "alpha", xlsx({"people": PEOPLE}))
    with tenant_context(tenant_a):
        from apps.people.services import set_password

        set_password(Person.objects.get(login="g1"), "a-long-enough-secret-42")
    run_command(tmp_path, "alpha", xlsx({"people": PEOPLE}))
    with tenant_context(tenant_a):
        assert Person.objects.get(login="g1").check_password("a-long-enough-secret-42") is True


def test_csv_needs_kind_and_imports_with_it(tmp_path, tenant_a, master):
    data = b"login,name,roles,reports_to_login\nw1,Worker,guard,w2\nw2,Lead,supervisor,\n"
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="--kind"):
        call_command("import_master_data", "alpha", str(path))
    assert run_command(tmp_path, "alpha", data, "people.csv", "--kind", "people") == {
        "people": {"created": 2, "updated": 0}
    }
    with tenant_context(tenant_a):
        assert Person.objects.get(login="w1").reports_to.login == "w2"


def test_every_row_error_is_reported_and_nothing_written(tenant_a, tenant_a_admin, master):
    before = snapshot(tenant_a)
    rows = [
        HEADERS,
        ["ok1", "Fine", "E-9", "", "", "guard", "HQ", "", "", "", ""],
        ["", "No Login", "", "", "", "guard", "", "", "", "", ""],
        ["ok1", "", "E-9", "not-an-email", "", "", "NOPE", "ghost", "NOPE", "OPS", "maybe"],
        ["x1", "Name", "", "", "", "guard|wizard", "", "x1", "", "", ""],
        ["c1", "C1", "", "", "", "guard", "", "c2", "", "", ""],
        ["c2", "C2", "", "", "", "guard", "", "c1", "", "", ""],
        ["dup", "Takes the admin's code", "admin-code", "", "", "guard", "", "", "", "", ""],
    ]
    with tenant_context(tenant_a):
        Person.objects.filter(login="admin").update(code="admin-code")
    before = snapshot(tenant_a)
    response = upload(tenant_a_admin, xlsx({"people": rows}))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_rejected"
    assert error_list(response) == [
        (3, "login", "required"),
        (4, "login", "duplicate_code_in_file"),
        (4, "name", "required"),
        (4, "code", "duplicate_code_in_file"),
        (4, "email", "invalid_email"),
        (4, "roles", "required"),
        (4, "home_site_code", "unknown_site"),
        (4, "department", "unknown_department"),
        (4, "designation", "unknown_designation"),
        (4, "reports_to_login", "unknown_person"),
        (4, "is_active", "invalid_boolean"),
        (5, "roles", "unknown_role"),
        (5, "reports_to_login", "reports_to_self"),
        (8, "code", "duplicate_code"),
        (6, "reports_to_login", "reports_to_cycle"),
        (7, "reports_to_login", "reports_to_cycle"),
    ]
    assert snapshot(tenant_a) == before


def test_another_tenants_site_and_lookup_codes_are_unknown(tenant_a, tenant_a_admin, tenant_b, master):
    with tenant_context(tenant_b):
        make_site("B-SITE")
        Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="B-DEPT", name="Bravo dept")
        Lookup.objects.create(kind=Lookup.Kind.DESIGNATION, code="B-DES", name="Bravo designation")
    make_persona(tenant_b, "guard", login="b-boss")
    before = snapshot(tenant_a)
    rows = [HEADERS, ["p1", "P1", "", "", "", "guard", "B-SITE", "b-boss", "B-DEPT", "B-DES", ""]]
    response = upload(tenant_a_admin, xlsx({"people": rows}))
    assert response.status_code == 400
    assert error_list(response) == [
        (2, "home_site_code", "unknown_site"),
        (2, "department", "unknown_department"),
        (2, "designation", "unknown_designation"),
        (2, "reports_to_login", "unknown_person"),
    ]
    assert snapshot(tenant_a) == before


def test_a_formula_cell_is_refused(tenant_a, tenant_a_admin, master):
    before = snapshot(tenant_a)
    rows = [HEADERS[:6], ["f1", '=HYPERLINK("http://evil","x")', "", "", "", "guard"]]
    response = upload(tenant_a_admin, xlsx({"people": rows}))
    assert response.status_code == 400
    assert error_list(response) == [(2, "name", "formula_not_allowed")]
    assert snapshot(tenant_a) == before


def test_wrong_header_is_refused(tenant_a, tenant_a_admin, master):
    rows = [["login", "name", "role", "password"], ["p1", "P1", "guard", "secret"]]
    response = upload(tenant_a_admin, xlsx({"people": rows}))
    assert response.status_code == 400
    assert error_list(response) == [
        (1, "roles", "missing_column"),
        (1, "role", "unknown_column"),
        (1, "password", "unknown_column"),
    ]


def test_the_importer_cannot_deactivate_themselves(tenant_a, tenant_a_admin, master):
    rows = [HEADERS, ["admin", "Admin", "", "", "", "admin", "", "", "", "", "no"]]
    response = upload(tenant_a_admin, xlsx({"people": rows}))
    assert response.status_code == 400
    assert error_list(response) == [(2, None, "cannot_deactivate_self")]
    with tenant_context(tenant_a):
        assert Person.objects.get(login="admin").is_active is True


TEAMS: list[Any] = [
    ["code", "name", "member_logins", "lead_logins"],
    ["T-NIGHT", "Night patrol", "g1|boss", "sup1"],
    ["T-DAY", "Day patrol", "g1", ""],
]


def teams_snapshot(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return [
            (
                team.code,
                team.name,
                sorted((m.person.login, m.is_lead) for m in team.memberships.select_related("person")),
            )
            for team in Team.objects.order_by("code")
        ]


def test_teams_refer_to_people_of_the_same_file(tmp_path, tenant_a, master):
    data = xlsx({"teams": TEAMS, "people": PEOPLE})  # sheet order in the file does not matter
    assert run_command(tmp_path, "alpha", data) == {
        "people": {"created": 3, "updated": 0},
        "teams": {"created": 2, "updated": 0},
    }
    expected = [
        ("T-DAY", "Day patrol", [("g1", False)]),
        ("T-NIGHT", "Night patrol", [("boss", False), ("g1", False), ("sup1", True)]),
    ]
    assert teams_snapshot(tenant_a) == expected
    assert run_command(tmp_path, "alpha", data) == {
        "people": {"created": 0, "updated": 3},
        "teams": {"created": 0, "updated": 2},
    }
    assert teams_snapshot(tenant_a) == expected
    edited = [TEAMS[0], ["T-NIGHT", "Night patrol", "boss", "g1"]]
    assert run_command(tmp_path, "alpha", xlsx({"teams": edited})) == {"teams": {"created": 0, "updated": 1}}
    assert teams_snapshot(tenant_a)[1] == ("T-NIGHT", "Night patrol", [("boss", False), ("g1", True)])


def test_team_errors(tenant_a, tenant_a_admin, tenant_a_guard, tenant_b_admin, master):
    rows = [
        TEAMS[0],
        ["T1", "One", "guard|nobody|admin", "guard"],
        ["T1", "", "admin|admin", ""],
        ["T2", "Two", "", "guard"],
    ]
    response = upload(tenant_a_admin, xlsx({"teams": rows}))
    assert response.status_code == 400
    assert error_list(response) == [
        (2, "member_logins", "unknown_person"),
        (3, "code", "duplicate_code_in_file"),
        (3, "name", "required"),
        (3, "member_logins", "duplicate_member"),
    ]
    with tenant_context(tenant_a):
        assert Team.objects.count() == 0
