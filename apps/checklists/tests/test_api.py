"""REST: questions CRUD and autocomplete, checklists with versions, validation, permissions, scope."""

from __future__ import annotations

from typing import Any

from apps.checklists.models import ChecklistItem, ChecklistVersion, Question
from apps.core.tenancy import tenant_context

from .factories import make_checklist, make_question

QUESTIONS = "/api/v1/questions/"
CHECKLISTS = "/api/v1/checklists/"


def _question(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post(QUESTIONS, fields, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_question_crud_and_errors(tenant_a_admin: Any) -> None:
    client = tenant_a_admin.client()
    body = _question(
        client, code="TEMP", text="Fridge temperature", answer_type="NUMERIC", min_value="2.5", max_value=8
    )
    assert {
        k: body[k]
        for k in (
            "code",
            "text",
            "answer_type",
            "options",
            "min_value",
            "max_value",
            "alert_on",
            "attachment",
            "is_active",
        )
    } == {
        "code": "TEMP",
        "text": "Fridge temperature",
        "answer_type": "NUMERIC",
        "options": [],
        "min_value": "2.5",
        "max_value": "8",
        "alert_on": [],
        "attachment": "NONE",
        "is_active": True,
    }
    duplicate = client.post(QUESTIONS, {"code": "TEMP", "text": "x", "answer_type": "NUMERIC"}, format="json")
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (400, "duplicate_code")
    bad = client.post(
        QUESTIONS,
        {"code": "D", "text": "x", "answer_type": "DROPDOWN", "options": ["A"], "alert_on": ["B"]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "code": "alert_on_not_an_option",
        "message": "Alert values must be among the options.",
        "details": {"field": "alert_on", "values": ["B"], "options": ["A"]},
    }
    patched = client.patch(f"{QUESTIONS}{body['id']}/", {"max_value": "9"}, format="json")
    assert (patched.status_code, patched.json()["max_value"], patched.json()["min_value"]) == (200, "9", "2.5")
    inverted = client.patch(f"{QUESTIONS}{body['id']}/", {"min_value": "10"}, format="json")
    assert (inverted.status_code, inverted.json()["error"]["code"]) == (400, "min_above_max")
    assert client.delete(f"{QUESTIONS}{body['id']}/").status_code == 204
    with tenant_context(tenant_a_admin.tenant):
        assert list(Question.objects.values_list("code", "is_active", "max_value")) == [("TEMP", False, 9)]


def test_question_autocomplete_is_accent_insensitive_and_tenant_scoped(
    tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        q1 = make_question("FIRE-1", text="Extincteur vérifié")
        make_question("GATE-1", text="Gate locked")
    with tenant_context(tenant_b_admin.tenant):
        make_question("FIRE-B", text="Extincteur vérifié")
    response = tenant_a_admin.client().get(f"{QUESTIONS}autocomplete/", {"q": "VERIFIE"})
    assert response.json() == {
        "results": [{"id": str(q1.pk), "text": "FIRE-1 · Extincteur vérifié"}],
        "pagination": {"more": False},
    }
    by_code = tenant_a_admin.client().get(f"{QUESTIONS}autocomplete/", {"q": "gate"}).json()
    assert [r["text"] for r in by_code["results"]] == ["GATE-1 · Gate locked"]


def _publish_body(temp: Question, state: Question, **extra: Any) -> dict[str, Any]:
    return {
        "code": "FRIDGE",
        "name": "Fridge round",
        "kind": "ASSET_AUDIT",
        "sections": [
            {"title": "Readings", "items": [{"question_id": temp.pk}]},
            {"title": "State", "items": [{"question_id": state.pk, "mandatory": False, "alert_on": ["Damaged"]}]},
        ],
        **extra,
    }


def test_checklist_versions_over_rest(
    tenant_a_admin: Any, tenant_b_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        temp = make_question("TEMP", "NUMERIC", min_value=2, max_value=8)
        state = make_question("STATE", "DROPDOWN", options=["OK", "Damaged"])
    client = tenant_a_admin.client()
    created = client.post(CHECKLISTS, _publish_body(temp, state), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    checklist_id = body["id"]
    v1 = body["current_version"]
    assert (body["code"], body["name"], body["kind"], body["current_version_number"], v1["number"]) == (
        "FRIDGE",
        "Fridge round",
        "ASSET_AUDIT",
        1,
        1,
    )
    assert v1["published_by"] == tenant_a_admin.person.pk
    assert [
        (
            s["title"],
            [
                (i["question"]["code"], i["mandatory"], i["min_value"], i["max_value"], i["options"], i["alert_on"])
                for i in s["items"]
            ],
        )
        for s in v1["sections"]
    ] == [
        ("Readings", [("TEMP", True, "2", "8", [], [])]),
        ("State", [("STATE", False, None, None, ["OK", "Damaged"], ["Damaged"])]),
    ]

    edited = client.put(
        f"{CHECKLISTS}{checklist_id}/",
        {
            "name": "Fridge round",
            "kind": "ASSET_AUDIT",
            "sections": [{"title": "Only", "items": [{"question_id": temp.pk, "max_value": 5}]}],
        },
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert (
        edited.json()["current_version_number"],
        edited.json()["current_version"]["sections"][0]["items"][0]["max_value"],
    ) == (2, "5")

    versions = client.get(f"{CHECKLISTS}{checklist_id}/versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    old = client.get(f"{CHECKLISTS}{checklist_id}/versions/1/")
    assert old.status_code == 200
    assert old.json() == v1  # version 1 reads exactly as it was published
    assert client.get(f"{CHECKLISTS}{checklist_id}/versions/3/").json()["error"]["code"] == "not_found"

    renamed = client.patch(f"{CHECKLISTS}{checklist_id}/", {"name": "Cold room"}, format="json")
    assert (renamed.json()["name"], renamed.json()["current_version_number"]) == ("Cold room", 2)
    listed = client.get(CHECKLISTS).json()["results"]
    assert [(c["code"], c["name"], c["current_version_number"]) for c in listed] == [("FRIDGE", "Cold room", 2)]

    # Another tenant's admin: 404 everywhere, nothing written.
    other = tenant_b_admin.client()
    for response in (
        other.get(f"{CHECKLISTS}{checklist_id}/"),
        other.get(f"{CHECKLISTS}{checklist_id}/versions/1/"),
        other.put(f"{CHECKLISTS}{checklist_id}/", _publish_body(temp, state), format="json"),
        other.post(f"{CHECKLISTS}{checklist_id}/validate/", {"answers": {}}, format="json"),
        other.delete(f"{CHECKLISTS}{checklist_id}/"),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert other.get(CHECKLISTS).json()["results"] == []
    with tenant_context(tenant_a_admin.tenant):
        assert ChecklistVersion.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{CHECKLISTS}{checklist_id}/").status_code == 204
    assert client.get(f"{CHECKLISTS}{checklist_id}/").json()["is_active"] is False


def test_publish_errors_over_rest_write_nothing(tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_b_admin.tenant):
        foreign = make_question("FOREIGN")
    with tenant_context(tenant_a_admin.tenant):
        temp = make_question("TEMP", "NUMERIC")
    client = tenant_a_admin.client()
    response = client.post(
        CHECKLISTS,
        {"code": "X", "name": "X", "sections": [{"title": "A", "items": [{"question_id": foreign.pk}]}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_question"
    assert response.json()["error"]["details"]["field"] == "sections[0].items[0].question_id"
    empty = client.post(CHECKLISTS, {"code": "X", "name": "X", "sections": []}, format="json")
    assert empty.json()["error"]["code"] == "empty_checklist"
    inverted = client.post(
        CHECKLISTS,
        {
            "code": "X",
            "name": "X",
            "sections": [{"title": "A", "items": [{"question_id": temp.pk, "min_value": 5, "max_value": 1}]}],
        },
        format="json",
    )
    assert inverted.json()["error"]["code"] == "min_above_max"
    with tenant_context(tenant_a_admin.tenant):
        assert (ChecklistVersion.objects.count(), ChecklistItem.objects.count()) == (0, 0)


def test_validate_endpoint(tenant_a_admin: Any, tenant_a_supervisor: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        temp = make_question("TEMP", "NUMERIC", min_value=2, max_value=8)
        state = make_question("STATE", "DROPDOWN", options=["OK", "Damaged"], alert_on=["Damaged"])
        note = make_question("NOTE", "SINGLE_LINE")
        checklist = make_checklist("C", [temp, state, note])
        ids = [
            str(i.pk)
            for i in ChecklistItem.objects.filter(checklist_version=checklist.current_version).order_by("position")
        ]
    response = tenant_a_supervisor.client().post(
        f"{CHECKLISTS}{checklist.pk}/validate/",
        {"answers": {ids[0]: "9.50", ids[1]: "Broken", "12345": 1}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "version": 1,
        "valid": False,
        "results": {ids[0]: {"value": "9.5", "is_alert": True}},
        "errors": {
            ids[1]: {
                "code": "not_an_option",
                "message": "The answer is not one of the options.",
                "details": {"options": ["OK", "Damaged"]},
            },
            ids[2]: {"code": "answer_required", "message": "This item needs an answer.", "details": {}},
            "12345": {"code": "unknown_item", "message": "No such item in this checklist version.", "details": {}},
        },
    }
    ok = (
        tenant_a_admin.client()
        .post(
            f"{CHECKLISTS}{checklist.pk}/validate/?version=1",
            {"answers": {ids[0]: 5, ids[1]: "Damaged", ids[2]: "fine"}},
            format="json",
        )
        .json()
    )
    assert (ok["valid"], ok["results"][ids[1]]) == (True, {"value": "Damaged", "is_alert": True})


def test_permissions(tenant_a_supervisor: Any, tenant_a_guard: Any, tenant_a_client: Any) -> None:
    with tenant_context(tenant_a_supervisor.tenant):
        checklist = make_checklist("C")
    # Client viewers hold neither sites.view nor jobs.perform: no reads, no writes, no validation.
    client = tenant_a_client.client()
    assert client.get(QUESTIONS).status_code == 403
    assert client.get(f"{CHECKLISTS}{checklist.pk}/").status_code == 403
    assert client.post(f"{CHECKLISTS}{checklist.pk}/validate/", {"answers": {}}, format="json").status_code == 403
    # Guards read checklists on the phone (jobs.perform) but may not change them.
    guard = tenant_a_guard.client()
    assert guard.get(f"{CHECKLISTS}{checklist.pk}/").status_code == 200
    for persona in (tenant_a_guard, tenant_a_client):
        denied = persona.client().post(
            QUESTIONS, {"code": "G", "text": "g", "answer_type": "SINGLE_LINE"}, format="json"
        )
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    # Supervisors plan work (schedules.manage), so they may write questions and checklists.
    created = tenant_a_supervisor.client().post(
        QUESTIONS, {"code": "S", "text": "s", "answer_type": "SINGLE_LINE"}, format="json"
    )
    assert created.status_code == 201
    with tenant_context(tenant_a_supervisor.tenant):
        assert checklist.current_version is not None
        assert sorted(Question.objects.values_list("code", flat=True)) == sorted(
            ["S", checklist.current_version.items.get().question.code]
        )


def test_a_patch_sends_whole_sections_and_items(tenant_a_admin: Any) -> None:
    """Sections and their items are whole in a PATCH as in a POST: an empty one was passed on."""
    with tenant_context(tenant_a_admin.tenant):
        checklist = make_checklist("WHOLE", [make_question("Q1")])
    client = tenant_a_admin.client()
    for sections, fields in (
        ([{}], {"sections": {"0": {"title": ["This field is required."], "items": ["This field is required."]}}}),
        (
            [{"title": "A", "items": [{}]}],
            {"sections": {"0": {"items": {"0": {"question_id": ["This field is required."]}}}}},
        ),
    ):
        response = client.patch(f"{CHECKLISTS}{checklist.pk}/", {"sections": sections}, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
        assert response.json()["error"]["details"] == {"fields": fields}
    with tenant_context(tenant_a_admin.tenant):
        assert ChecklistVersion.objects.filter(checklist=checklist).count() == 1
