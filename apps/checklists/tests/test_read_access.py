"""Who reads questions and checklists: guards (jobs.perform) read them on the phone but
change nothing; client viewers neither read nor change them. REST and GraphQL agree."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.checklists.models import Checklist, Question
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql

from .factories import make_checklist, make_question

QUESTIONS = "/api/v1/questions/"
CHECKLISTS = "/api/v1/checklists/"
READ = "query { checklists { code currentVersion { number items { question { code } } } } questions { code } }"
CREATE_QUESTION = """
mutation { createQuestion(input: {code: "G", text: "g", answerType: SINGLE_LINE}) { question { code } } }
"""
PUBLISH = """
mutation P($input: ChecklistInput!) { publishChecklist(input: $input) { checklist { code } } }
"""
PUBLISHER = "query P($id: ID!) { checklist(id: $id) { versions { number publishedBy { login } } } }"


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def stored(persona: Any) -> tuple[list[str], list[str]]:
    with tenant_context(persona.tenant):
        return (
            sorted(Question.objects.values_list("code", flat=True)),
            sorted(Checklist.objects.values_list("code", flat=True)),
        )


def test_a_guard_reads_checklists_over_rest_but_cannot_write(tenant_a_guard: Any) -> None:
    with tenant_context(tenant_a_guard.tenant):
        door = make_question("DOOR")
        checklist = make_checklist("ROUND", [door], name="Night round")
    client = tenant_a_guard.client()

    listed = client.get(CHECKLISTS)
    assert listed.status_code == 200, listed.content
    assert [(c["code"], c["name"], c["current_version_number"]) for c in listed.json()["results"]] == [
        ("ROUND", "Night round", 1)
    ]
    detail = client.get(f"{CHECKLISTS}{checklist.pk}/").json()
    assert [[i["question"]["code"] for i in s["items"]] for s in detail["current_version"]["sections"]] == [["DOOR"]]
    assert [q["code"] for q in client.get(QUESTIONS).json()["results"]] == ["DOOR"]
    checked = client.post(f"{CHECKLISTS}{checklist.pk}/validate/", {"answers": {}}, format="json")
    assert (checked.status_code, checked.json()["valid"]) == (200, False)  # DOOR is mandatory

    created = client.post(QUESTIONS, {"code": "G", "text": "g", "answer_type": "SINGLE_LINE"}, format="json")
    assert (created.status_code, created.json()["error"]["code"]) == (403, "permission_denied")
    body = {"code": "NEW", "name": "New", "sections": [{"title": "S", "items": [{"question_id": door.pk}]}]}
    published = client.post(CHECKLISTS, body, format="json")
    assert (published.status_code, published.json()["error"]["code"]) == (403, "permission_denied")
    renamed = client.patch(f"{CHECKLISTS}{checklist.pk}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 403
    assert client.delete(f"{CHECKLISTS}{checklist.pk}/").status_code == 403
    assert stored(tenant_a_guard) == (["DOOR"], ["ROUND"])
    with tenant_context(tenant_a_guard.tenant):
        checklist.refresh_from_db()
        assert (checklist.name, checklist.is_active) == ("Night round", True)


def test_a_guard_reads_checklists_over_graphql_but_cannot_write(tenant_a_guard: Any) -> None:
    with tenant_context(tenant_a_guard.tenant):
        door = make_question("DOOR")
        make_checklist("ROUND", [door])
    assert gql(tenant_a_guard, READ) == {
        "data": {
            "checklists": [
                {"code": "ROUND", "currentVersion": {"number": 1, "items": [{"question": {"code": "DOOR"}}]}}
            ],
            "questions": [{"code": "DOOR"}],
        }
    }

    denied = gql(tenant_a_guard, CREATE_QUESTION)
    assert (denied["data"], codes(denied)) == ({"createQuestion": None}, ["permission_denied"])
    section = {"title": "S", "items": [{"questionId": str(door.pk)}]}
    refused = gql(tenant_a_guard, PUBLISH, {"input": {"code": "NEW", "name": "New", "sections": [section]}})
    assert (refused["data"], codes(refused)) == ({"publishChecklist": None}, ["permission_denied"])
    assert stored(tenant_a_guard) == (["DOOR"], ["ROUND"])


def test_only_people_viewers_see_who_published(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    """Reading checklists is not reading people: a guard sees that a version exists, not its publisher."""
    with tenant_context(tenant_a_admin.tenant):
        checklist = make_checklist("ROUND", published_by=tenant_a_admin.person)
    variables = {"id": str(checklist.pk)}
    assert gql(tenant_a_admin, PUBLISHER, variables) == {
        "data": {"checklist": {"versions": [{"number": 1, "publishedBy": {"login": "admin"}}]}}
    }
    assert gql(tenant_a_guard, PUBLISHER, variables) == {
        "data": {"checklist": {"versions": [{"number": 1, "publishedBy": None}]}}
    }


def test_a_client_viewer_still_reads_no_checklists(tenant_a_admin: Any, tenant_a_client: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        checklist = make_checklist("ROUND")
    client = tenant_a_client.client()
    for path in (CHECKLISTS, f"{CHECKLISTS}{checklist.pk}/", QUESTIONS):
        response = client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied"), path
    body = gql(tenant_a_client, READ)
    assert (body["data"], codes(body)) == (None, ["permission_denied"])
    denied = gql(tenant_a_client, CREATE_QUESTION)
    assert codes(denied) == ["permission_denied"]
    assert stored(tenant_a_admin)[1] == ["ROUND"]
