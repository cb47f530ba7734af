"""Question rules, publishing versions, and the per-tenant cache of checklists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from apps.checklists import selectors, services
from apps.checklists.models import AnswerType, Checklist, ChecklistItem, ChecklistVersion, Question
from apps.checklists.services import ChecklistError
from apps.core.tenancy import tenant_context

from .factories import make_checklist, make_question

T = AnswerType


@pytest.fixture
def in_a(tenant_a: Any) -> Any:
    with tenant_context(tenant_a):
        yield tenant_a


QUESTION_ERRORS = [
    ({"code": "bad code!"}, "invalid_code", "code"),
    ({"text": "  "}, "text_required", "text"),
    ({"answer_type": "SLIDER"}, "invalid_answer_type", "answer_type"),
    ({"answer_type": T.DROPDOWN}, "options_required", "options"),
    ({"answer_type": T.MULTISELECT, "options": ["A", "A"]}, "duplicate_option", "options"),
    ({"answer_type": T.NUMERIC, "options": ["A"]}, "options_not_allowed", "options"),
    ({"answer_type": T.SINGLE_LINE, "min_value": 1}, "limits_not_allowed", "min_value"),
    ({"answer_type": T.NUMERIC, "min_value": 5, "max_value": 1}, "min_above_max", "min_value"),
    ({"answer_type": T.NUMERIC, "min_value": "abc"}, "invalid_number", "min_value"),
    ({"answer_type": T.RATING, "max_value": "4.5"}, "invalid_number", "min_value"),
    ({"answer_type": T.DROPDOWN, "options": ["A", "B"], "alert_on": ["C"]}, "alert_on_not_an_option", "alert_on"),
    ({"answer_type": T.CHECKBOX, "alert_on": ["yes"]}, "alert_on_not_an_option", "alert_on"),
    ({"answer_type": T.NUMERIC, "alert_on": ["5"]}, "alert_on_not_allowed", "alert_on"),
    ({"attachment": "ALWAYS"}, "invalid_attachment_rule", "attachment"),
]


@pytest.mark.parametrize(
    ("fields", "code", "field"), QUESTION_ERRORS, ids=[row[1] + "-" + str(i) for i, row in enumerate(QUESTION_ERRORS)]
)
def test_create_question_refuses_bad_rules_and_writes_nothing(in_a: Any, fields: dict, code: str, field: str) -> None:
    arguments = {"code": "Q1", "text": "Gate", "answer_type": T.SINGLE_LINE, **fields}
    with pytest.raises(ChecklistError) as excinfo:
        services.create_question(**arguments)
    assert (excinfo.value.code, excinfo.value.details["field"]) == (code, field)
    assert Question.objects.count() == 0


def test_create_question_normalises_and_refuses_duplicate_code(in_a: Any) -> None:
    question = services.create_question(
        code="TEMP", text=" Temperature ", answer_type=T.NUMERIC, min_value="2", max_value=8
    )
    question.refresh_from_db()
    assert (question.text, question.min_value, question.max_value) == ("Temperature", Decimal("2"), Decimal("8"))
    checkbox = services.create_question(code="LOCK", text="Locked?", answer_type=T.CHECKBOX, alert_on=["false"])
    assert checkbox.alert_on == ["false"]
    with pytest.raises(ChecklistError) as excinfo:
        services.create_question(code="TEMP", text="Again", answer_type=T.NUMERIC)
    assert excinfo.value.code == "duplicate_code"
    assert list(Question.objects.values_list("code", flat=True)) == ["LOCK", "TEMP"]


def test_same_code_in_another_tenant_is_fine(tenant_a: Any, tenant_b: Any) -> None:
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            services.create_question(code="SAME", text="Same", answer_type=T.SINGLE_LINE)
    with tenant_context(tenant_b):
        assert Question.objects.count() == 1


def _sections(*questions: Question, **overrides: Any) -> list[dict[str, Any]]:
    return [{"title": "Main", "items": [{"question_id": q.pk, **overrides} for q in questions]}]


def test_publish_creates_versions_and_leaves_earlier_ones_untouched(in_a: Any, tenant_a_admin: Any) -> None:
    temp = make_question("TEMP", T.NUMERIC, min_value=2, max_value=8)
    state = make_question("STATE", T.DROPDOWN, options=["OK", "Damaged", "Missing"], alert_on=["Damaged"])
    v1 = services.publish_checklist(
        None,
        code="FRIDGE",
        name="Fridge",
        kind="ASSET_AUDIT",
        sections=_sections(temp, state),
        published_by=tenant_a_admin.person,
    )
    checklist = v1.checklist
    assert (v1.number, checklist.current_version_id, v1.published_by_id) == (1, v1.pk, tenant_a_admin.person.pk)
    v1_items = list(
        ChecklistItem.objects.filter(checklist_version=v1)
        .order_by("position")
        .values("pk", "question_id", "position", "mandatory", "min_value", "max_value", "options", "alert_on")
    )
    # Items record the rules in force when published.
    assert [(i["position"], i["min_value"], i["max_value"], i["options"], i["alert_on"]) for i in v1_items] == [
        (0, Decimal("2"), Decimal("8"), [], []),
        (1, None, None, ["OK", "Damaged", "Missing"], ["Damaged"]),
    ]

    v2 = services.publish_checklist(
        checklist,
        name="Fridge check",
        kind="ASSET_AUDIT",
        sections=[
            {"title": "Readings", "items": [{"question_id": temp.pk, "max_value": "6"}]},
            {"title": "State", "items": [{"question_id": state.pk, "options": ["OK", "Missing"], "mandatory": False}]},
        ],
    )
    checklist.refresh_from_db()
    assert (v2.number, checklist.current_version_id, checklist.name) == (2, v2.pk, "Fridge check")
    assert (
        list(
            ChecklistItem.objects.filter(checklist_version=v1)
            .order_by("position")
            .values("pk", "question_id", "position", "mandatory", "min_value", "max_value", "options", "alert_on")
        )
        == v1_items
    )
    v2_items = list(selectors.items_of(v2))
    assert [
        (i.effective_min, i.effective_max, i.effective_options, i.effective_alert_on, i.mandatory) for i in v2_items
    ] == [
        (Decimal("2"), Decimal("6"), [], [], True),
        # The inherited alert value "Damaged" is dropped with the option it named.
        (None, None, ["OK", "Missing"], [], False),
    ]
    assert [s.title for s in v2.sections.order_by("position")] == ["Readings", "State"]

    # Editing the question later changes neither published version.
    services.update_question(temp, max_value=100)
    assert [i.effective_max for i in selectors.items_of(v1)] == [Decimal("8"), None]
    assert list(ChecklistVersion.objects.filter(checklist=checklist).values_list("number", flat=True)) == [2, 1]


PUBLISH_ERRORS = [
    ([], "empty_checklist", "sections"),
    ([{"title": "Empty", "items": []}], "empty_section", "sections[0].items"),
    ([{"title": " ", "items": [{"question_id": "TEMP"}]}], "title_required", "sections[0].title"),
    ([{"title": "A", "items": [{"question_id": 999999}]}], "unknown_question", "sections[0].items[0].question_id"),
    (
        [{"title": "A", "items": [{"question_id": "TEMP", "options": ["x"]}]}],
        "options_not_allowed",
        "sections[0].items[0].options",
    ),
    (
        [{"title": "A", "items": [{"question_id": "TEMP", "min_value": 9}]}],
        "min_above_max",
        "sections[0].items[0].min_value",
    ),
    (
        [{"title": "A", "items": [{"question_id": "STATE", "options": ["OK", "Lost"]}]}],
        "option_not_in_question",
        "sections[0].items[0].options",
    ),
    (
        [{"title": "A", "items": [{"question_id": "STATE", "options": []}]}],
        "options_required",
        "sections[0].items[0].options",
    ),
    (
        [{"title": "A", "items": [{"question_id": "STATE", "options": ["OK"], "alert_on": ["Damaged"]}]}],
        "alert_on_not_an_option",
        "sections[0].items[0].alert_on",
    ),
    (
        [{"title": "A", "items": [{"question_id": "TEXT", "max_value": 3}]}],
        "limits_not_allowed",
        "sections[0].items[0].min_value",
    ),
    ([{"title": "A", "items": [{"question_id": "OLD"}]}], "inactive_question", "sections[0].items[0].question_id"),
    (
        [{"title": "A", "items": [{"question_id": "TEMP", "mandatory": "yes"}]}],
        "invalid_item",
        "sections[0].items[0].mandatory",
    ),
]


@pytest.mark.parametrize(("sections", "code", "field"), PUBLISH_ERRORS, ids=[row[1] for row in PUBLISH_ERRORS])
def test_publish_refuses_bad_checklists_and_writes_nothing(in_a: Any, sections: list, code: str, field: str) -> None:
    questions = {
        "TEMP": make_question("TEMP", T.NUMERIC, min_value=2, max_value=8),
        "STATE": make_question("STATE", T.DROPDOWN, options=["OK", "Damaged"], alert_on=["Damaged"]),
        "TEXT": make_question("TEXT", T.SINGLE_LINE),
        "OLD": services.deactivate_question(make_question("OLD", T.SINGLE_LINE)),
    }
    existing = make_checklist("EXISTING", [questions["TEXT"]])
    for section in sections:
        for spec in section["items"]:
            spec["question_id"] = (
                questions[spec["question_id"]].pk if spec["question_id"] in questions else spec["question_id"]
            )
    counts = (Checklist.objects.count(), ChecklistVersion.objects.count(), ChecklistItem.objects.count())
    for target in (None, existing):
        with pytest.raises(ChecklistError) as excinfo:
            services.publish_checklist(target, code="NEW", name="New", kind="CHECKLIST", sections=sections)
        assert (excinfo.value.code, excinfo.value.details["field"]) == (code, field)
    assert (Checklist.objects.count(), ChecklistVersion.objects.count(), ChecklistItem.objects.count()) == counts
    existing.refresh_from_db()
    assert existing.current_version is not None and existing.current_version.number == 1


def test_publish_refuses_another_tenants_question(tenant_a: Any, tenant_b: Any) -> None:
    with tenant_context(tenant_b):
        foreign = make_question("FOREIGN")
    with tenant_context(tenant_a):
        with pytest.raises(ChecklistError) as excinfo:
            services.publish_checklist(None, code="X", name="X", kind="CHECKLIST", sections=_sections(foreign))
        assert excinfo.value.code == "unknown_question"
        assert Checklist.objects.count() == 0


def test_publish_refuses_duplicate_code_bad_kind_and_inactive_checklist(in_a: Any) -> None:
    question = make_question("Q")
    checklist = make_checklist("DUP", [question])
    cases = [
        (None, {"code": "DUP", "kind": "CHECKLIST"}, "duplicate_code"),
        (None, {"code": "", "kind": "CHECKLIST"}, "invalid_code"),
        (None, {"code": "NEW", "kind": "MEMO"}, "invalid_kind"),
    ]
    for target, fields, code in cases:
        with pytest.raises(ChecklistError) as excinfo:
            services.publish_checklist(target, name="N", sections=_sections(question), **fields)
        assert excinfo.value.code == code
    services.deactivate_checklist(checklist)
    with pytest.raises(ChecklistError) as excinfo:
        services.publish_checklist(checklist, name="N", kind="CHECKLIST", sections=_sections(question))
    assert excinfo.value.code == "checklist_inactive"
    assert ChecklistVersion.objects.count() == 1


def test_answer_type_of_a_used_question_cannot_change(in_a: Any) -> None:
    used, unused = make_question("USED"), make_question("UNUSED")
    make_checklist("C", [used])
    with pytest.raises(ChecklistError) as excinfo:
        services.update_question(used, answer_type=T.MULTI_LINE)
    assert excinfo.value.code == "question_in_use"
    used.refresh_from_db()
    assert used.answer_type == T.SINGLE_LINE
    assert services.update_question(unused, answer_type=T.MULTI_LINE, text="Notes").answer_type == T.MULTI_LINE


def payload(checklist_id: int) -> Any:
    return selectors.checklist_payload(checklist_id)


def _commit(tenant: Any) -> None:
    """Run the on-commit hooks of the test transaction (where the cache bump lives)."""
    connection = connections[tenant.db_alias]
    for entry in list(connection.run_on_commit):
        entry[1]()
    connection.run_on_commit.clear()


def test_cached_checklist_is_invalidated_on_publish_and_kept_per_tenant(tenant_a: Any, tenant_b: Any) -> None:
    with tenant_context(tenant_a):
        checklist = make_checklist("SAME", [make_question("QA")], name="Alpha list")
        _commit(tenant_a)
        first = payload(checklist.pk)
        assert first is not None and first["current_version"]["number"] == 1
        # A write that bypasses the services leaves the cached payload in place...
        Checklist.objects.filter(pk=checklist.pk).update(name="Renamed quietly")
        assert payload(checklist.pk)["name"] == "Alpha list"
        # ...a publish bumps the namespace on commit, and the next read sees version 2.
        services.publish_checklist(
            checklist, name="Alpha list v2", kind="CHECKLIST", sections=_sections(make_question("QA2"))
        )
        assert payload(checklist.pk)["name"] == "Alpha list"  # not committed yet
        _commit(tenant_a)
        second = payload(checklist.pk)
        assert (second["name"], second["current_version"]["number"]) == ("Alpha list v2", 2)
        assert [i["question"]["code"] for s in second["current_version"]["sections"] for i in s["items"]] == ["QA2"]
        services.deactivate_checklist(checklist)
        _commit(tenant_a)
        assert payload(checklist.pk)["is_active"] is False
    with tenant_context(tenant_b):
        # Same id asked by another tenant: its own (empty) answer, never tenant A's entry.
        assert payload(checklist.pk) is None
        own = make_checklist("SAME", [make_question("QB")], name="Bravo list")
        _commit(tenant_b)
        assert payload(own.pk)["name"] == "Bravo list"
    with tenant_context(tenant_a):
        assert payload(own.pk) is None


def test_a_version_as_sections_publishes_again_unchanged(in_a: Any) -> None:
    """What editors start from (the admin, an API client) can be published back as it is."""
    questions = [
        make_question("NUM", AnswerType.NUMERIC, min_value=0, max_value=10),
        make_question("BOX", AnswerType.CHECKBOX, options=["Yes", "No"], alert_on=["No"]),
        make_question("PICK", AnswerType.DROPDOWN, options=["A", "B", "C"], alert_on=["C"]),
        make_question("TEXT"),
    ]
    checklist = make_checklist("ALL", questions=questions)
    current = checklist.current_version
    assert current is not None
    sections = services.version_as_sections(current)
    assert [item["options"] for item in sections[0]["items"]] == [None, None, ["A", "B", "C"], None]
    assert services.same_as_current(checklist, sections)
    republished = services.publish_checklist(checklist, name=checklist.name, kind=checklist.kind, sections=sections)
    assert republished.number == current.number + 1
    assert [
        (item.question.code, item.options, item.min_value, item.max_value, item.alert_on)
        for item in republished.items.select_related("question").order_by("position")
    ] == [
        (item.question.code, item.options, item.min_value, item.max_value, item.alert_on)
        for item in current.items.select_related("question").order_by("position")
    ]
