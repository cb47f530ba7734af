"""``validate_answer`` for every answer type: exact normalised values, alerts and error codes.

``viewer=None`` is the system: people and site lists are checked against the whole tenant
here; the scope of a person answering is tested through the API (``test_validate_scope``).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from apps.checklists.models import AnswerType, ChecklistItem, Question
from apps.checklists.validation import AnswerError, ValidatedAnswer, validate_answer, validate_answers
from apps.core.tenancy import tenant_context
from apps.sites.models import Client, Site

T = AnswerType


def item(answer_type: str, mandatory: bool = True, q: dict[str, Any] | None = None, **overrides: Any) -> ChecklistItem:
    """An unsaved item of an unsaved question: the validator reads only their fields."""
    question = Question(answer_type=answer_type, **{"options": [], "alert_on": [], **(q or {})})
    return ChecklistItem(pk=overrides.pop("pk", None), question=question, mandatory=mandatory, **overrides)


NUM = {"min_value": Decimal("10"), "max_value": Decimal("20")}
DROP = {"options": ["OK", "Damaged", "Missing"], "alert_on": ["Damaged", "Missing"]}

VALID: list[tuple[str, ChecklistItem, Any, Any, bool]] = [
    ("single line stripped", item(T.SINGLE_LINE), "  gate locked  ", "gate locked", False),
    ("multi line keeps breaks", item(T.MULTI_LINE), "line 1\nline 2 ", "line 1\nline 2", False),
    ("email domain lower-cased", item(T.EMAIL), " Guard.One@Example.COM ", "Guard.One@example.com", False),
    ("numeric in range", item(T.NUMERIC, q=NUM), "12.50", "12.5", False),
    ("numeric int", item(T.NUMERIC, q=NUM), 15, "15", False),
    ("numeric float", item(T.NUMERIC, q=NUM), 10.1, "10.1", False),
    ("numeric at the limit", item(T.NUMERIC, q=NUM), "20.000", "20", False),
    ("numeric below min alerts", item(T.NUMERIC, q=NUM), "9.99", "9.99", True),
    ("numeric above max alerts", item(T.NUMERIC, q=NUM), 21, "21", True),
    ("numeric rounded to 6 places", item(T.NUMERIC), "1.23456789", "1.234568", False),
    ("numeric exponent expanded", item(T.NUMERIC), "1E+3", "1000", False),
    ("numeric negative zero", item(T.NUMERIC), "-0.0", "0", False),
    ("numeric no limits", item(T.NUMERIC), -5, "-5", False),
    ("item limit overrides question", item(T.NUMERIC, q=NUM, max_value=Decimal("15")), 16, "16", True),
    ("meter reading above max", item(T.METER_READING, q={"max_value": Decimal("1000")}), "1000.5", "1000.5", True),
    ("meter reading in range", item(T.METER_READING, q={"max_value": Decimal("1000")}), "999", "999", False),
    ("rating default range", item(T.RATING), 5, 5, False),
    ("rating as text", item(T.RATING), "3", 3, False),
    ("rating integral decimal", item(T.RATING), "4.0", 4, False),
    ("rating custom range", item(T.RATING, q={"min_value": Decimal("0"), "max_value": Decimal("10")}), 0, 0, False),
    ("checkbox true", item(T.CHECKBOX), True, True, False),
    ("checkbox text false", item(T.CHECKBOX), "False", False, False),
    ("checkbox alert on false", item(T.CHECKBOX, q={"alert_on": ["false"]}), False, False, True),
    ("checkbox option", item(T.CHECKBOX, q={"options": ["Yes", "No"], "alert_on": ["No"]}), "Yes", "Yes", False),
    ("checkbox option alerts", item(T.CHECKBOX, q={"options": ["Yes", "No"], "alert_on": ["No"]}), "No", "No", True),
    ("dropdown option", item(T.DROPDOWN, q=DROP), "OK", "OK", False),
    ("dropdown alert", item(T.DROPDOWN, q=DROP), "Damaged", "Damaged", True),
    ("dropdown item alert_on override", item(T.DROPDOWN, q=DROP, alert_on=["Missing"]), "Damaged", "Damaged", False),
    ("multiselect in option order", item(T.MULTISELECT, q=DROP), ["Missing", "OK"], ["OK", "Missing"], True),
    ("multiselect without alert", item(T.MULTISELECT, q=DROP), ["OK"], ["OK"], False),
    ("date", item(T.DATE), "2026-03-01", "2026-03-01", False),
    ("date object", item(T.DATE), date(2026, 3, 1), "2026-03-01", False),
    ("time hh:mm", item(T.TIME), "07:05", "07:05:00", False),
    ("time object", item(T.TIME), time(23, 59, 58, 500), "23:59:58", False),
    (
        "signature ref",
        item(T.SIGNATURE),
        "7f0c2a8e-9a51-4d1e-8b1b-1d2a3b4c5d6e",
        "7f0c2a8e-9a51-4d1e-8b1b-1d2a3b4c5d6e",
        False,
    ),
    ("front camera ref", item(T.FRONT_CAMERA), " att-42 ", "att-42", False),
    ("back camera ref", item(T.BACK_CAMERA), "42", "42", False),
    (
        "gps geojson",
        item(T.GPS),
        {"type": "Point", "coordinates": [77.5946, 12.9716]},
        {"type": "Point", "coordinates": [77.5946, 12.9716]},
        False,
    ),
    ("gps pair", item(T.GPS), [-0.1276, 51.5072], {"type": "Point", "coordinates": [-0.1276, 51.5072]}, False),
    ("optional empty text", item(T.SINGLE_LINE, mandatory=False), "   ", None, False),
    ("optional empty list", item(T.MULTISELECT, mandatory=False, q=DROP), [], None, False),
    ("optional none numeric", item(T.NUMERIC, mandatory=False, q=NUM), None, None, False),
]

INVALID: list[tuple[str, ChecklistItem, Any, str]] = [
    ("mandatory none", item(T.NUMERIC), None, "answer_required"),
    ("mandatory blank", item(T.SINGLE_LINE), "  ", "answer_required"),
    ("mandatory empty list", item(T.PEOPLE_LIST), [], "answer_required"),
    ("single line not text", item(T.SINGLE_LINE), 12, "invalid_type"),
    ("single line with break", item(T.SINGLE_LINE), "a\nb", "invalid_type"),
    ("single line too long", item(T.SINGLE_LINE), "x" * 501, "too_long"),
    ("multi line too long", item(T.MULTI_LINE), "x" * 5001, "too_long"),
    ("email invalid", item(T.EMAIL), "guard@", "invalid_email"),
    ("numeric word", item(T.NUMERIC, q=NUM), "twelve", "not_a_number"),
    ("numeric bool", item(T.NUMERIC), True, "not_a_number"),
    ("numeric nan", item(T.NUMERIC), "NaN", "not_a_number"),
    ("numeric infinity", item(T.NUMERIC), float("inf"), "not_a_number"),
    ("numeric list", item(T.NUMERIC), [1], "not_a_number"),
    ("numeric huge", item(T.NUMERIC), "1e12", "number_too_large"),
    ("meter reading word", item(T.METER_READING), "n/a", "not_a_number"),
    ("rating above default max", item(T.RATING), 6, "out_of_range"),
    ("rating below default min", item(T.RATING), 0, "out_of_range"),
    ("rating fraction", item(T.RATING), 3.5, "not_an_integer"),
    ("rating word", item(T.RATING), "good", "not_a_number"),
    ("checkbox other text", item(T.CHECKBOX), "maybe", "not_an_option"),
    ("checkbox not an option", item(T.CHECKBOX, q={"options": ["Yes", "No"]}), "yes", "not_an_option"),
    ("dropdown not an option", item(T.DROPDOWN, q=DROP), "Broken", "not_an_option"),
    ("dropdown case matters", item(T.DROPDOWN, q=DROP), "ok", "not_an_option"),
    ("dropdown narrowed by item", item(T.DROPDOWN, q=DROP, options=["OK", "Damaged"]), "Missing", "not_an_option"),
    ("multiselect not a list", item(T.MULTISELECT, q=DROP), "OK", "invalid_type"),
    ("multiselect stray", item(T.MULTISELECT, q=DROP), ["OK", "Lost"], "not_an_option"),
    ("multiselect duplicate", item(T.MULTISELECT, q=DROP), ["OK", "OK"], "duplicate_option"),
    ("date bad", item(T.DATE), "01/03/2026", "invalid_date"),
    ("date impossible", item(T.DATE), "2026-02-30", "invalid_date"),
    ("time bad", item(T.TIME), "25:00", "invalid_time"),
    ("time with offset", item(T.TIME), "08:00+05:30", "invalid_time"),
    ("signature not text", item(T.SIGNATURE), {"id": 1}, "invalid_attachment_reference"),
    ("camera bad ref", item(T.BACK_CAMERA), "../etc/passwd", "invalid_attachment_reference"),
    ("gps latitude", item(T.GPS), [10, 200], "latitude_out_of_range"),
    ("gps wrong type", item(T.GPS), {"type": "Polygon", "coordinates": []}, "wrong_geometry_type"),
    ("gps not geojson", item(T.GPS), "here", "invalid_geojson"),
    ("people not a list", item(T.PEOPLE_LIST), 5, "invalid_type"),
    ("people bad id", item(T.PEOPLE_LIST), ["abc"], "invalid_id"),
    ("sites bool id", item(T.SITE_LIST), [True], "invalid_id"),
]


@pytest.mark.parametrize(("name", "the_item", "value", "expected", "alert"), VALID, ids=[row[0] for row in VALID])
def test_valid_answers_are_normalised(
    name: str, the_item: ChecklistItem, value: Any, expected: Any, alert: bool
) -> None:
    assert validate_answer(the_item, value, viewer=None) == ValidatedAnswer(expected, alert)


@pytest.mark.parametrize(("name", "the_item", "value", "code"), INVALID, ids=[row[0] for row in INVALID])
def test_invalid_answers_raise_their_code(name: str, the_item: ChecklistItem, value: Any, code: str) -> None:
    with pytest.raises(AnswerError) as excinfo:
        validate_answer(the_item, value, viewer=None)
    assert excinfo.value.code == code
    assert excinfo.value.status == 400


def test_every_answer_type_has_a_valid_case() -> None:
    covered = {row[1].question.answer_type for row in VALID} | {T.PEOPLE_LIST, T.SITE_LIST}
    assert covered == set(AnswerType.values)


def test_dropdown_error_lists_the_options() -> None:
    with pytest.raises(AnswerError) as excinfo:
        validate_answer(item(T.DROPDOWN, q=DROP), "Broken", viewer=None)
    assert excinfo.value.details == {"options": ["OK", "Damaged", "Missing"]}


def test_people_list_accepts_only_people_of_the_tenant(tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    own, other = tenant_a_admin.person.pk, tenant_b_admin.person.pk
    with tenant_context(tenant_a_admin.tenant):
        assert validate_answer(item(T.PEOPLE_LIST), [own, str(own)], viewer=None) == ValidatedAnswer([own], False)
        with pytest.raises(AnswerError) as excinfo:
            validate_answer(item(T.PEOPLE_LIST), [own, other], viewer=None)
    assert (excinfo.value.code, excinfo.value.details) == ("unknown_people", {"ids": [other]})


def _site(tenant: Any, code: str) -> Site:
    with tenant_context(tenant):
        client = Client.objects.create(code=f"C-{code}", name=f"Client {code}")
        return Site.objects.create(client=client, code=code, name=f"Site {code}", location=Point(77.59, 12.97))


def test_site_list_accepts_only_sites_of_the_tenant(tenant_a: Any, tenant_b: Any) -> None:
    site_a1, site_a2, site_b = _site(tenant_a, "A1"), _site(tenant_a, "A2"), _site(tenant_b, "B1")
    with tenant_context(tenant_a):
        assert validate_answer(item(T.SITE_LIST), [site_a2.pk, site_a1.pk], viewer=None) == ValidatedAnswer(
            [site_a2.pk, site_a1.pk], False
        )
        with pytest.raises(AnswerError) as excinfo:
            validate_answer(item(T.SITE_LIST), [site_a1.pk, site_b.pk], viewer=None)
    assert (excinfo.value.code, excinfo.value.details) == ("unknown_sites", {"ids": [site_b.pk]})


def test_validate_answers_reports_missing_and_unknown_items() -> None:
    items = [item(T.NUMERIC, q=NUM, pk=1), item(T.DROPDOWN, q=DROP, pk=2), item(T.SINGLE_LINE, mandatory=False, pk=3)]
    sheet = validate_answers(items, {"1": "25", "3": "fine", "99": "x"}, viewer=None)
    assert sheet.results == {"1": ValidatedAnswer("25", True), "3": ValidatedAnswer("fine", False)}
    assert {key: error.code for key, error in sheet.errors.items()} == {"2": "answer_required", "99": "unknown_item"}
    assert sheet.valid is False
