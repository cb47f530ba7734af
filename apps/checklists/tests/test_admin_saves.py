"""The Django admin saves questions and checklists through the services.

Editing an item of a checklist's current version publishes a new version; the version
it came from keeps its items and stays readable. A refused form comes back (200) with the
service's message on the field concerned, and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as WebClient
from django.utils.html import escape

from apps.checklists.models import AnswerType, AttachmentRule, Checklist, ChecklistItem, ChecklistVersion, Question
from apps.core.tenancy import tenant_context

from .factories import make_checklist, make_question

pytestmark = pytest.mark.django_db


def signed_in(persona: Any) -> WebClient:
    browser = WebClient()
    response = browser.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return browser


def refused(response: Any) -> dict[str, list[str]]:
    """The errors of a form the admin sent back, after checking they are also on the page."""
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.errors
    for messages in errors.values():
        for message in messages:
            assert escape(message) in response.content.decode()
    return {field: list(messages) for field, messages in errors.items()}


def item_rows(version: ChecklistVersion) -> list[tuple[Any, ...]]:
    items = ChecklistItem.objects.filter(checklist_version=version).select_related("section", "question")
    return [
        (i.section.title, i.question.code, i.mandatory, i.min_value, i.max_value, i.options, i.alert_on)
        for i in items.order_by("position")
    ]


QUESTION_FORM = {
    "code": "TEMP",
    "text": "Fridge temperature",
    "answer_type": AnswerType.NUMERIC,
    "options": "",
    "min_value": "2",
    "max_value": "8",
    "alert_on": "",
    "attachment": AttachmentRule.REQUIRED_ON_ALERT,
    "is_active": "on",
}


# --- Questions --------------------------------------------------------------------------------


def test_question_add_saves_through_the_service(tenant_a: Any, tenant_a_admin: Any) -> None:
    browser = signed_in(tenant_a_admin)

    no_options = {**QUESTION_FORM, "answer_type": AnswerType.DROPDOWN, "min_value": "", "max_value": ""}
    assert refused(browser.post("/admin/checklists/question/add/", no_options)) == {
        "options": ["Dropdown and multiselect questions need options. (options_required)"]
    }
    inverted = {**QUESTION_FORM, "min_value": "9"}
    assert refused(browser.post("/admin/checklists/question/add/", inverted)) == {
        "min_value": ["The minimum is above the maximum. (min_above_max)"]
    }
    with tenant_context(tenant_a):
        assert Question.objects.count() == 0

    assert browser.post("/admin/checklists/question/add/", QUESTION_FORM).status_code == 302
    with tenant_context(tenant_a):
        question = Question.objects.get()
    assert (
        question.code,
        question.text,
        question.answer_type,
        question.options,
        question.min_value,
        question.max_value,
        question.attachment,
        question.is_active,
        question.created_by_id,
    ) == (
        "TEMP",
        "Fridge temperature",
        AnswerType.NUMERIC,
        [],
        Decimal(2),
        Decimal(8),
        AttachmentRule.REQUIRED_ON_ALERT,
        True,
        tenant_a_admin.person.pk,
    )

    duplicate = browser.post("/admin/checklists/question/add/", {**QUESTION_FORM, "text": "Other"})
    assert refused(duplicate) == {"code": ["A question with code 'TEMP' exists. (duplicate_code)"]}
    with tenant_context(tenant_a):
        assert list(Question.objects.values_list("text", flat=True)) == ["Fridge temperature"]


def test_answer_type_of_a_question_in_use_cannot_change(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        question = make_question("TEMP", AnswerType.NUMERIC, text="Fridge temperature", min_value=2, max_value=8)
        make_checklist("FRIDGE", [question])
    browser = signed_in(tenant_a_admin)
    changed = {**QUESTION_FORM, "answer_type": AnswerType.SINGLE_LINE, "min_value": "", "max_value": ""}
    assert refused(browser.post(f"/admin/checklists/question/{question.pk}/change/", changed)) == {
        "answer_type": ["The answer type of a question used by a checklist cannot change. (question_in_use)"]
    }
    with tenant_context(tenant_a):
        assert Question.objects.get().answer_type == AnswerType.NUMERIC


def test_question_delete_deactivates(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        question = make_question("TEMP")
        make_checklist("FRIDGE", [question])
    browser = signed_in(tenant_a_admin)
    assert browser.post(f"/admin/checklists/question/{question.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        assert (Question.objects.get().is_active, ChecklistItem.objects.count()) == (False, 1)


# --- Checklists -------------------------------------------------------------------------------


def checklist_form(checklist: Checklist, **fields: Any) -> dict[str, Any]:
    """The change form with its read-only versions inline, as a browser sends it."""
    versions = list(checklist.versions.order_by("-number"))
    form = {
        "name": checklist.name,
        "kind": checklist.kind,
        "versions-TOTAL_FORMS": len(versions),
        "versions-INITIAL_FORMS": len(versions),
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
    }
    for index, version in enumerate(versions):
        form.update({f"versions-{index}-id": version.pk, f"versions-{index}-checklist": checklist.pk})
    return {**form, **fields}


def test_checklist_rename_goes_through_the_service(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        checklist = make_checklist("FRIDGE", name="Fridge round")
        version_id = checklist.current_version_id
        form = checklist_form(checklist, name="Cold room round", kind=Checklist.Kind.SITE_REPORT)
    browser = signed_in(tenant_a_admin)
    url = f"/admin/checklists/checklist/{checklist.pk}/change/"

    assert refused(browser.post(url, {**form, "kind": "SAUNA"})) == {
        "kind": ["Select a valid choice. SAUNA is not one of the available choices."]
    }
    # An inline that fails (here: no management form) sends the form back; the service's save is undone.
    incomplete = {"name": "Cold room round", "kind": Checklist.Kind.SITE_REPORT}
    assert browser.post(url, incomplete).status_code == 200
    with tenant_context(tenant_a):
        assert Checklist.objects.values_list("name", "kind").get() == ("Fridge round", Checklist.Kind.CHECKLIST)

    saved = browser.post(url, form)
    assert saved.status_code == 302, saved.context and saved.context["adminform"].form.errors
    with tenant_context(tenant_a):
        checklist.refresh_from_db()
    assert (checklist.name, checklist.kind, checklist.current_version_id, checklist.modified_by_id) == (
        "Cold room round",
        Checklist.Kind.SITE_REPORT,
        version_id,
        tenant_a_admin.person.pk,
    )


def test_checklist_delete_deactivates_and_keeps_its_versions(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        checklist = make_checklist("FRIDGE")
    browser = signed_in(tenant_a_admin)
    assert browser.post(f"/admin/checklists/checklist/{checklist.pk}/delete/", {"post": "yes"}).status_code == 302
    with tenant_context(tenant_a):
        assert Checklist.objects.values_list("is_active", "current_version_id").get() == (
            False,
            checklist.current_version_id,
        )
        assert (ChecklistVersion.objects.count(), ChecklistItem.objects.count()) == (1, 1)


# --- Items: every edit publishes a version ----------------------------------------------------


@pytest.fixture
def fridge(tenant_a: Any) -> Checklist:
    """Version 1: a numeric item with limits, a checkbox item, and a dropdown item in a second section."""
    from apps.checklists import services

    with tenant_context(tenant_a):
        temp = make_question("TEMP", AnswerType.NUMERIC, min_value=2, max_value=8)
        door = make_question("DOOR", AnswerType.CHECKBOX, options=["Closed", "Open"], alert_on=["Open"])
        smell = make_question("SMELL", AnswerType.DROPDOWN, options=["None", "Faint", "Strong"], alert_on=["Strong"])
        version = services.publish_checklist(
            None,
            code="FRIDGE",
            name="Fridge round",
            kind=Checklist.Kind.CHECKLIST,
            sections=[
                {"title": "Readings", "items": [{"question_id": temp.pk, "min_value": 3}, {"question_id": door.pk}]},
                {"title": "Checks", "items": [{"question_id": smell.pk, "mandatory": False}]},
            ],
        )
        return version.checklist


VERSION_1 = [
    ("Readings", "TEMP", True, Decimal(3), Decimal(8), [], []),
    ("Readings", "DOOR", True, None, None, ["Closed", "Open"], ["Open"]),
    ("Checks", "SMELL", False, None, None, ["None", "Faint", "Strong"], ["Strong"]),
]


def item_form(item: ChecklistItem, **fields: Any) -> dict[str, Any]:
    form = {
        "mandatory": "on" if item.mandatory else "",
        "min_value": "" if item.min_value is None else str(item.min_value),
        "max_value": "" if item.max_value is None else str(item.max_value),
        "options": ",".join(item.options or []),
        "alert_on": ",".join(item.alert_on or []),
    }
    return {name: value for name, value in {**form, **fields}.items() if value != ""}


def test_editing_an_item_publishes_a_new_version(tenant_a: Any, tenant_a_admin: Any, fridge: Checklist) -> None:
    with tenant_context(tenant_a):
        first = ChecklistVersion.objects.get(checklist=fridge, number=1)
        assert item_rows(first) == VERSION_1
        smell = ChecklistItem.objects.get(checklist_version=first, question__code="SMELL")
    browser = signed_in(tenant_a_admin)

    edited = item_form(smell, mandatory="on", options="None,Strong", alert_on="Strong")
    response = browser.post(f"/admin/checklists/checklistitem/{smell.pk}/change/", edited)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    with tenant_context(tenant_a):
        fridge.refresh_from_db()
        second = fridge.current_version
        assert second is not None
        assert (second.number, second.published_by_id) == (2, tenant_a_admin.person.pk)
        assert item_rows(second) == [
            *VERSION_1[:2],
            ("Checks", "SMELL", True, None, None, ["None", "Strong"], ["Strong"]),
        ]
        assert item_rows(first) == VERSION_1  # the old version is untouched

    # The old version and its items are still there to read, but no longer to edit.
    assert browser.get(f"/admin/checklists/checklistversion/{first.pk}/change/").status_code == 200
    old_item = browser.get(f"/admin/checklists/checklistitem/{smell.pk}/change/")
    assert (old_item.status_code, old_item.context["title"]) == (200, "View checklist item")
    assert browser.post(f"/admin/checklists/checklistitem/{smell.pk}/change/", edited).status_code == 403

    # A checkbox item inherits its question's options: editing it leaves them alone.
    with tenant_context(tenant_a):
        door = ChecklistItem.objects.get(checklist_version=second, question__code="DOOR")
    response = browser.post(f"/admin/checklists/checklistitem/{door.pk}/change/", item_form(door, mandatory=""))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    with tenant_context(tenant_a):
        fridge.refresh_from_db()
        assert fridge.current_version is not None
        assert item_rows(fridge.current_version)[1] == (
            "Readings",
            "DOOR",
            False,
            None,
            None,
            ["Closed", "Open"],
            ["Open"],
        )


def test_a_refused_item_edit_publishes_nothing(tenant_a: Any, tenant_a_admin: Any, fridge: Checklist) -> None:
    with tenant_context(tenant_a):
        temp = ChecklistItem.objects.get(question__code="TEMP")
        smell = ChecklistItem.objects.get(question__code="SMELL")
    browser = signed_in(tenant_a_admin)

    inverted = browser.post(f"/admin/checklists/checklistitem/{temp.pk}/change/", item_form(temp, min_value="9"))
    assert refused(inverted) == {"min_value": ["The minimum is above the maximum. (min_above_max)"]}
    stray = item_form(smell, options="None,Rotten")
    assert refused(browser.post(f"/admin/checklists/checklistitem/{smell.pk}/change/", stray)) == {
        "options": ["An item's options are a subset of its question's. (option_not_in_question)"]
    }
    with tenant_context(tenant_a):
        assert ChecklistVersion.objects.count() == 1
        assert Checklist.objects.get().current_version_id == temp.checklist_version_id


def test_pages_render(tenant_a: Any, tenant_a_admin: Any, fridge: Checklist) -> None:
    with tenant_context(tenant_a):
        question = Question.objects.get(code="TEMP")
        version = fridge.current_version
        assert version is not None
        item = ChecklistItem.objects.get(question=question)
    browser = signed_in(tenant_a_admin)
    pages = [
        "question/",
        "question/add/",
        f"question/{question.pk}/change/",
        f"question/{question.pk}/delete/",
        "checklist/",
        f"checklist/{fridge.pk}/change/",
        f"checklist/{fridge.pk}/delete/",
        f"checklistversion/{version.pk}/change/",
        "checklistitem/",
        f"checklistitem/{item.pk}/change/",
    ]
    for page in pages:
        assert browser.get(f"/admin/checklists/{page}").status_code == 200, page
    index = browser.get("/admin/checklists/").context["app_list"][0]["models"]
    assert sorted(model["object_name"] for model in index) == ["Checklist", "ChecklistVersion", "Question"]
    form = browser.get(f"/admin/checklists/checklistitem/{item.pk}/change/").context["adminform"].form
    assert (form.fields["options"].disabled, form.fields["min_value"].disabled) == (True, False)
