"""Bulk import of questions and checklists through the command and the upload."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from apps.checklists.models import Checklist, ChecklistVersion, Question
from apps.checklists.tests.factories import make_question
from apps.core.tenancy import tenant_context

Q_HEADERS = ["code", "text", "answer_type", "options", "min_value", "max_value", "alert_on", "attachment"]
QUESTIONS: list[Any] = [
    Q_HEADERS,
    ["Q-TEMP", "Temperature", "NUMERIC", "", 0, 100, "", ""],
    ["Q-DOOR", "Door state", "DROPDOWN", "Open|Closed|Broken", "", "", "Broken", "REQUIRED_ON_ALERT"],
    ["Q-NOTE", "Notes", "multi_line", "", "", "", "", "optional"],
]
C_HEADERS = [
    "checklist_code",
    "checklist_name",
    "kind",
    "section",
    "question_code",
    "mandatory",
    "min_value",
    "max_value",
    "options",
    "alert_on",
]
CHECKLISTS: list[Any] = [
    C_HEADERS,
    ["CL-NIGHT", "Night round", "CHECKLIST", "Outside", "Q-DOOR", "yes", "", "", "Open|Broken", ""],
    ["CL-AUDIT", "Asset audit", "ASSET_AUDIT", "", "Q-TEMP", "", "", "", "", ""],
    ["CL-NIGHT", "", "", "Outside", "Q-TEMP", "", 10, 40, "", ""],
    ["CL-NIGHT", "Night round", "", "Inside", "Q-NOTE", "no", "", "", "", ""],
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


def run_command(tmp_path, data: bytes) -> dict:
    path = tmp_path / "checklists.xlsx"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_master_data", "alpha", str(path), stdout=out)
    return json.loads(out.getvalue())


def upload(persona, data: bytes):
    file = io.BytesIO(data)
    file.name = "checklists.xlsx"
    return persona.client().post("/api/v1/imports/", {"file": file}, format="multipart")


def error_list(response) -> list[tuple[int | None, str | None, str]]:
    return [(e["row"], e["column"], e["code"]) for e in response.json()["error"]["details"]["errors"]]


def d(text: str) -> Decimal:
    return Decimal(text)


def content(version: ChecklistVersion) -> list[tuple]:
    return [
        (
            section.title,
            [
                (item.question.code, item.mandatory, item.options, item.min_value, item.max_value, item.alert_on)
                for item in section.items.order_by("position")
            ],
        )
        for section in version.sections.order_by("position")
    ]


def checklists(tenant) -> dict[str, tuple]:
    with tenant_context(tenant):
        return {
            c.code: (c.name, c.kind, c.current_version.number, c.versions.count(), content(c.current_version))
            for c in Checklist.objects.select_related("current_version")
        }


def questions(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return list(
            Question.objects.order_by("code").values_list(
                "code", "text", "answer_type", "options", "min_value", "max_value", "alert_on", "attachment"
            )
        )


NIGHT_V1: list[Any] = [
    (
        "Outside",
        [
            ("Q-DOOR", True, ["Open", "Broken"], None, None, ["Broken"]),
            ("Q-TEMP", True, [], d("10"), d("40"), []),
        ],
    ),
    ("Inside", [("Q-NOTE", False, [], None, None, [])]),
]
AUDIT_V1: list[Any] = [("General", [("Q-TEMP", True, [], d("0"), d("100"), [])])]


def test_questions_and_checklists_from_one_workbook(tmp_path, tenant_a):
    data = xlsx({"checklists": CHECKLISTS, "questions": QUESTIONS})
    assert run_command(tmp_path, data) == {
        "questions": {"created": 3, "updated": 0},
        "checklists": {"created": 2, "updated": 0},
    }
    assert questions(tenant_a) == [
        ("Q-DOOR", "Door state", "DROPDOWN", ["Open", "Closed", "Broken"], None, None, ["Broken"], "REQUIRED_ON_ALERT"),
        ("Q-NOTE", "Notes", "MULTI_LINE", [], None, None, [], "OPTIONAL"),
        ("Q-TEMP", "Temperature", "NUMERIC", [], d("0"), d("100"), [], "NONE"),
    ]
    assert checklists(tenant_a) == {
        "CL-AUDIT": ("Asset audit", "ASSET_AUDIT", 1, 1, AUDIT_V1),
        "CL-NIGHT": ("Night round", "CHECKLIST", 1, 1, NIGHT_V1),
    }


def test_reimport_publishes_a_version_only_when_content_changes(tmp_path, tenant_a, tenant_a_admin):
    data = xlsx({"questions": QUESTIONS, "checklists": CHECKLISTS})
    run_command(tmp_path, data)
    first = checklists(tenant_a)

    response = upload(tenant_a_admin, data)
    assert (response.status_code, response.json()) == (
        200,
        {"imported": {"questions": {"created": 0, "updated": 3}, "checklists": {"created": 0, "updated": 2}}},
    )
    assert checklists(tenant_a) == first

    # The question's limit changes: CL-AUDIT inherits it (new version), CL-NIGHT overrides it (none).
    # CL-NIGHT is renamed, which is not a new version either.
    edited_questions = [row[:] for row in QUESTIONS]
    edited_questions[1][5] = 90
    edited_checklists = [row[:] for row in CHECKLISTS]
    edited_checklists[1][1] = edited_checklists[4][1] = "Night patrol round"
    assert run_command(tmp_path, xlsx({"questions": edited_questions, "checklists": edited_checklists})) == {
        "questions": {"created": 0, "updated": 3},
        "checklists": {"created": 0, "updated": 2},
    }
    audit_v2: list[Any] = [("General", [("Q-TEMP", True, [], d("0"), d("90"), [])])]
    assert checklists(tenant_a) == {
        "CL-AUDIT": ("Asset audit", "ASSET_AUDIT", 2, 2, audit_v2),
        "CL-NIGHT": ("Night patrol round", "CHECKLIST", 1, 1, NIGHT_V1),
    }

    # An item override changes: a new version of CL-NIGHT; version 1 stays as it was.
    edited_checklists[3][7] = 45
    run_command(tmp_path, xlsx({"checklists": edited_checklists}))
    with tenant_context(tenant_a):
        night = Checklist.objects.get(code="CL-NIGHT")
        assert [v.number for v in night.versions.order_by("number")] == [1, 2]
        assert content(night.versions.get(number=1)) == NIGHT_V1
        assert content(night.current_version)[0][1][1] == ("Q-TEMP", True, [], d("10"), d("45"), [])
        assert night.current_version.published_by_id is None  # from the command line: nobody
    response = upload(tenant_a_admin, xlsx({"checklists": [C_HEADERS, CHECKLISTS[2][:4] + ["Q-DOOR"] + [""] * 5]}))
    assert response.status_code == 200
    with tenant_context(tenant_a):
        audit = Checklist.objects.get(code="CL-AUDIT")
        assert (audit.current_version.number, audit.current_version.published_by_id) == (3, tenant_a_admin.person.pk)


def test_every_row_error_is_reported_and_nothing_written(tenant_a, tenant_a_admin, tenant_b):
    with tenant_context(tenant_b):
        make_question("Q-B-ONLY")
    with tenant_context(tenant_a):
        make_question("Q-IN-DB")
    before = (questions(tenant_a), checklists(tenant_a))
    bad_questions: list[Any] = [
        Q_HEADERS,
        ["Q-OK", "Fine", "DROPDOWN", "A|B", "", "", "", ""],
        ["Q-OK", "Again", "NUMERIC", "", "", "", "", ""],
        ["bad code!", "", "FLOAT", "", "", "", "", ""],
        ["Q-MM", "Range", "NUMERIC", "", 10, 5, "", ""],
        ["Q-AL", "Alert", "DROPDOWN", "A|B", "", "", "C", "SOMETIMES"],
    ]
    bad_checklists: list[Any] = [
        C_HEADERS,
        ["CL-1", "One", "", "", "Q-OK", "", "", "", "A|Z", ""],
        ["CL-1", "Uno", "", "", "Q-MISSING", "", "", "", "", ""],
        ["", "Nameless", "", "", "Q-OK", "", "", "", "", ""],
        ["CL-2", "Two", "weird", "", "Q-OK", "perhaps", "", "", "", ""],
        ["CL-3", "Three", "", "", "Q-B-ONLY", "", "", "", "", ""],
        ["CL-4", "Four", "", "", "Q-OK", "", 1, "", "", ""],
        ["CL-5", "Five", "", "", "Q-IN-DB", "", "", "", "", "x"],
    ]
    response = upload(tenant_a_admin, xlsx({"questions": bad_questions, "checklists": bad_checklists}))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_rejected"
    assert error_list(response) == [
        (3, "code", "duplicate_code_in_file"),
        (4, "code", "invalid_code"),
        (4, "text", "required"),
        (4, "answer_type", "invalid_answer_type"),
        (5, "min_value", "min_above_max"),
        (6, "attachment", "invalid_attachment_rule"),
        (6, "alert_on", "alert_on_not_an_option"),
        (4, "checklist_code", "required"),
        (3, "checklist_name", "inconsistent_checklist"),
        (2, "options", "option_not_in_question"),
        (3, "question_code", "unknown_question"),
        (5, "kind", "invalid_kind"),
        (5, "mandatory", "invalid_boolean"),
        (6, "question_code", "unknown_question"),
        (7, "min_value", "limits_not_allowed"),
        (8, "alert_on", "alert_on_not_allowed"),
    ]
    assert (questions(tenant_a), checklists(tenant_a)) == before


def test_answer_type_of_a_question_in_use_cannot_change(tmp_path, tenant_a, tenant_a_admin):
    run_command(tmp_path, xlsx({"questions": QUESTIONS, "checklists": CHECKLISTS}))
    edited = [Q_HEADERS, ["Q-NOTE", "Notes", "SINGLE_LINE", "", "", "", "", ""]]
    response = upload(tenant_a_admin, xlsx({"questions": edited}))
    assert response.status_code == 400
    assert error_list(response) == [(2, "answer_type", "question_in_use")]
    with tenant_context(tenant_a):
        assert Question.objects.get(code="Q-NOTE").answer_type == "MULTI_LINE"


def test_a_formula_cell_is_refused(tmp_path, tenant_a):
    rows = [Q_HEADERS, ["Q-F", "=1+1", "NUMERIC", "", "", "", "", ""]]
    path = tmp_path / "formula.xlsx"
    path.write_bytes(xlsx({"questions": rows}))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_master_data", "alpha", str(path), stderr=err)
    assert err.getvalue() == ("row 2, column text: Formulas are not imported; paste values. [formula_not_allowed]\n")
    assert questions(tenant_a) == []
