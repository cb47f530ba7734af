"""GraphQL: question and checklist queries, mutations with typed error codes, tenant scope."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.checklists.models import ChecklistVersion, Question
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql

from .factories import make_checklist, make_question

CREATE = """
mutation Create($input: QuestionInput!) {
  createQuestion(input: $input) { question { code answerType options minValue maxValue alertOn attachment } }
}
"""
UPDATE = "mutation U($id: ID!, $input: QuestionPatchInput!) { updateQuestion(id: $id, input: $input) { question { code text } } }"
PUBLISH = """
mutation P($id: ID, $input: ChecklistInput!) {
  publishChecklist(id: $id, input: $input) {
    checklist { code name kind currentVersion { number } }
    version { number sections { title items { position mandatory minValue maxValue options alertOn question { code } } } }
  }
}
"""
CHECKLIST = "query C($id: ID!) { checklist(id: $id) { code versions { number items { maxValue question { code } } } } }"


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def test_create_and_update_question(tenant_a_admin: Any) -> None:
    body = gql(
        tenant_a_admin,
        CREATE,
        {
            "input": {
                "code": "STATE",
                "text": "State",
                "answerType": "DROPDOWN",
                "options": ["OK", "Bad"],
                "alertOn": ["Bad"],
            }
        },
    )
    assert body == {
        "data": {
            "createQuestion": {
                "question": {
                    "code": "STATE",
                    "answerType": "DROPDOWN",
                    "options": ["OK", "Bad"],
                    "minValue": None,
                    "maxValue": None,
                    "alertOn": ["Bad"],
                    "attachment": "NONE",
                }
            }
        }
    }
    with tenant_context(tenant_a_admin.tenant):
        question = Question.objects.get(code="STATE")
    renamed = gql(tenant_a_admin, UPDATE, {"id": str(question.pk), "input": {"text": "Door state"}})
    assert renamed["data"]["updateQuestion"]["question"] == {"code": "STATE", "text": "Door state"}


def test_mutation_errors_carry_codes_and_write_nothing(
    tenant_a_admin: Any, tenant_b_admin: Any, tenant_a_guard: Any
) -> None:
    bad = gql(tenant_a_admin, CREATE, {"input": {"code": "D", "text": "d", "answerType": "DROPDOWN"}})
    assert bad["data"] == {"createQuestion": None}
    assert bad["errors"][0]["extensions"] == {"code": "options_required", "details": {"field": "options"}}
    denied = gql(tenant_a_guard, CREATE, {"input": {"code": "G", "text": "g", "answerType": "SINGLE_LINE"}})
    assert denied["errors"][0]["extensions"]["code"] == "permission_denied"
    with tenant_context(tenant_a_admin.tenant):
        assert Question.objects.count() == 0
        question = make_question("Q")
    # Tenant B cannot edit tenant A's question: it does not exist for them.
    crossed = gql(tenant_b_admin, UPDATE, {"id": str(question.pk), "input": {"text": "hacked"}})
    assert crossed["errors"][0]["extensions"]["code"] == "not_found"
    with tenant_context(tenant_a_admin.tenant):
        question.refresh_from_db()
        assert question.text == "Question Q"


def test_publish_checklist_versions(tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        temp = make_question("TEMP", "NUMERIC", min_value=0, max_value=10)
    section: dict[str, Any] = {"title": "Main", "items": [{"questionId": str(temp.pk), "maxValue": "8"}]}
    created = gql(
        tenant_a_admin,
        PUBLISH,
        {"input": {"code": "C1", "name": "Round", "kind": "SITE_REPORT", "sections": [section]}},
    )
    assert created == {
        "data": {
            "publishChecklist": {
                "checklist": {"code": "C1", "name": "Round", "kind": "SITE_REPORT", "currentVersion": {"number": 1}},
                "version": {
                    "number": 1,
                    "sections": [
                        {
                            "title": "Main",
                            "items": [
                                {
                                    "position": 0,
                                    "mandatory": True,
                                    "minValue": "0",
                                    "maxValue": "8",
                                    "options": [],
                                    "alertOn": [],
                                    "question": {"code": "TEMP"},
                                }
                            ],
                        }
                    ],
                },
            }
        }
    }
    with tenant_context(tenant_a_admin.tenant):
        checklist_id = str(ChecklistVersion.objects.get().checklist_id)
    section["items"][0]["maxValue"] = "5"
    edited = gql(tenant_a_admin, PUBLISH, {"id": checklist_id, "input": {"name": "Round", "sections": [section]}})
    assert edited["data"]["publishChecklist"]["checklist"]["currentVersion"] == {"number": 2}
    read = gql(tenant_a_admin, CHECKLIST, {"id": checklist_id})
    assert read == {
        "data": {
            "checklist": {
                "code": "C1",
                "versions": [
                    {"number": 2, "items": [{"maxValue": "5", "question": {"code": "TEMP"}}]},
                    {"number": 1, "items": [{"maxValue": "8", "question": {"code": "TEMP"}}]},
                ],
            }
        }
    }
    assert gql(tenant_b_admin, CHECKLIST, {"id": checklist_id}) == {"data": {"checklist": None}}
    crossed = gql(tenant_b_admin, PUBLISH, {"id": checklist_id, "input": {"name": "X", "sections": [section]}})
    assert crossed["errors"][0]["extensions"]["code"] == "not_found"
    empty = gql(tenant_a_admin, PUBLISH, {"id": checklist_id, "input": {"name": "Round", "sections": []}})
    assert empty["errors"][0]["extensions"] == {"code": "empty_checklist", "details": {"field": "sections"}}
    with tenant_context(tenant_a_admin.tenant):
        assert ChecklistVersion.objects.count() == 2


def test_list_queries_filter_through_the_filtersets(tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        make_question("TEMP", "NUMERIC", text="Température")
        make_question("NOTE", "SINGLE_LINE", text="Notes")
        make_checklist("C1", name="Audit", kind="ASSET_AUDIT")
        make_checklist("C2", name="Round")
    numeric = gql(tenant_a_admin, "{ questions(answerType: NUMERIC) { code } }")
    assert numeric == {"data": {"questions": [{"code": "TEMP"}]}}
    search = gql(tenant_a_admin, '{ questions(q: "temperature") { code } }')
    assert search == {"data": {"questions": [{"code": "TEMP"}]}}
    audits = gql(tenant_a_admin, "{ checklists(kind: ASSET_AUDIT) { code kind currentVersion { number } } }")
    assert audits == {"data": {"checklists": [{"code": "C1", "kind": "ASSET_AUDIT", "currentVersion": {"number": 1}}]}}
