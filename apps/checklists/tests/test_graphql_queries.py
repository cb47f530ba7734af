"""Query counts of the checklist GraphQL lists: nested fields read prefetched rows, so a
list costs the same number of queries for 2 rows as for 6."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.checklists import services
from apps.checklists.models import AnswerType, Checklist
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql

from .factories import make_question

# What the phone asks for when it syncs checklists (the item fields through a fragment).
CHECKLISTS = """
query Checklists($kind: ChecklistKind) {
  checklists(kind: $kind) {
    id code name kind isActive
    currentVersion {
      number
      sections { title position items { ...Item } }
    }
    versions { number publishedBy { login roles } items { position question { code } } }
  }
}
fragment Item on ChecklistItemType {
  position mandatory minValue maxValue options alertOn
  question { code text answerType attachment }
}
"""
QUESTIONS = "query { questions { code text answerType attachment options alertOn minValue maxValue isActive } }"

# Authentication reads the person and their roles; every list or prefetched relation is one more.
CHECKLIST_QUERIES = 2 + 7  # checklists, sections, section items, versions, publishers, their roles, items
QUESTION_QUERIES = 2 + 1


def counted(persona: Any, query: str, expected: int, assert_num_queries: Any) -> Any:
    client, token = Client(), persona.tokens().access
    post_graphql(client, query, token=token)  # warm the per-process tenant cache
    with assert_num_queries(expected):
        response = post_graphql(client, query, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def make_round(number: int, publisher: Any) -> Checklist:
    """Checklist ``C<n>`` at version 2: a temperature reading narrowed to 5, then a dropdown note."""
    temp = make_question(f"TEMP{number}", AnswerType.NUMERIC, min_value=0, max_value=10)
    note = make_question(f"NOTE{number}", AnswerType.DROPDOWN, options=["OK", "Bad"], alert_on=["Bad"])
    first = services.publish_checklist(
        None,
        code=f"C{number}",
        name=f"Round {number}",
        kind=Checklist.Kind.CHECKLIST,
        sections=[{"title": "Main", "items": [{"question_id": temp.pk, "max_value": 8}]}],
        published_by=publisher,
    )
    services.publish_checklist(
        first.checklist,
        name=f"Round {number}",
        kind=Checklist.Kind.CHECKLIST,
        sections=[
            {"title": "Readings", "items": [{"question_id": temp.pk, "max_value": 5}]},
            {"title": "Notes", "items": [{"question_id": note.pk, "mandatory": False}]},
        ],
        published_by=publisher,
    )
    return first.checklist


def expected_round(checklist: Checklist) -> dict[str, Any]:
    n = checklist.code[1:]
    temp = {"code": f"TEMP{n}", "text": f"Question TEMP{n}", "answerType": "NUMERIC", "attachment": "NONE"}
    note = {"code": f"NOTE{n}", "text": f"Question NOTE{n}", "answerType": "DROPDOWN", "attachment": "NONE"}
    admin = {"login": "admin", "roles": ["admin"]}
    return {
        "id": str(checklist.pk),
        "code": f"C{n}",
        "name": f"Round {n}",
        "kind": "CHECKLIST",
        "isActive": True,
        "currentVersion": {
            "number": 2,
            "sections": [
                {
                    "title": "Readings",
                    "position": 0,
                    "items": [
                        {
                            "position": 0,
                            "mandatory": True,
                            "minValue": "0",
                            "maxValue": "5",
                            "options": [],
                            "alertOn": [],
                            "question": temp,
                        }
                    ],
                },
                {
                    "title": "Notes",
                    "position": 1,
                    "items": [
                        {
                            "position": 1,
                            "mandatory": False,
                            "minValue": None,
                            "maxValue": None,
                            "options": ["OK", "Bad"],
                            "alertOn": ["Bad"],
                            "question": note,
                        }
                    ],
                },
            ],
        },
        "versions": [
            {
                "number": 2,
                "publishedBy": admin,
                "items": [
                    {"position": 0, "question": {"code": f"TEMP{n}"}},
                    {"position": 1, "question": {"code": f"NOTE{n}"}},
                ],
            },
            {"number": 1, "publishedBy": admin, "items": [{"position": 0, "question": {"code": f"TEMP{n}"}}]},
        ],
    }


def test_checklists_cost_the_same_queries_for_two_rows_and_six(
    tenant_a_admin: Any, django_assert_num_queries: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        rounds = [make_round(n, tenant_a_admin.person) for n in (1, 2)]
    few = counted(tenant_a_admin, CHECKLISTS, CHECKLIST_QUERIES, django_assert_num_queries)
    assert few == {"data": {"checklists": [expected_round(checklist) for checklist in rounds]}}

    with tenant_context(tenant_a_admin.tenant):
        rounds += [make_round(n, tenant_a_admin.person) for n in (3, 4, 5, 6)]
    many = counted(tenant_a_admin, CHECKLISTS, CHECKLIST_QUERIES, django_assert_num_queries)
    assert many == {"data": {"checklists": [expected_round(checklist) for checklist in rounds]}}


def test_a_picker_query_prefetches_nothing_it_does_not_show(
    tenant_a_admin: Any, django_assert_num_queries: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        rounds = [make_round(n, tenant_a_admin.person) for n in (1, 2, 3)]
    picker = "query { checklists { code currentVersion { number } } }"
    body = counted(tenant_a_admin, picker, 2 + 1, django_assert_num_queries)  # current versions come joined
    assert body == {"data": {"checklists": [{"code": c.code, "currentVersion": {"number": 2}} for c in rounds]}}


def test_one_checklist_reads_its_versions_prefetched(tenant_a_admin: Any, django_assert_num_queries: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        checklist = make_round(1, tenant_a_admin.person)
    query = f'query {{ checklist(id: "{checklist.pk}") {{ versions {{ number sections {{ title items {{ maxValue }} }} }} }} }}'
    body = counted(tenant_a_admin, query, 2 + 4, django_assert_num_queries)  # checklist, versions, sections, items
    assert body == {
        "data": {
            "checklist": {
                "versions": [
                    {
                        "number": 2,
                        "sections": [
                            {"title": "Readings", "items": [{"maxValue": "5"}]},
                            {"title": "Notes", "items": [{"maxValue": None}]},
                        ],
                    },
                    {"number": 1, "sections": [{"title": "Main", "items": [{"maxValue": "8"}]}]},
                ]
            }
        }
    }


def test_questions_cost_the_same_queries_for_two_rows_and_six(
    tenant_a_admin: Any, django_assert_num_queries: Any
) -> None:
    def expected(codes: list[str]) -> dict[str, Any]:
        return {
            "data": {
                "questions": [
                    {
                        "code": code,
                        "text": f"Question {code}",
                        "answerType": "RATING",
                        "attachment": "OPTIONAL",
                        "options": [],
                        "alertOn": [],
                        "minValue": "1",
                        "maxValue": "5",
                        "isActive": True,
                    }
                    for code in codes
                ]
            }
        }

    with tenant_context(tenant_a_admin.tenant):
        for code in ("Q1", "Q2"):
            make_question(code, AnswerType.RATING, min_value=1, max_value=5, attachment="OPTIONAL")
    assert counted(tenant_a_admin, QUESTIONS, QUESTION_QUERIES, django_assert_num_queries) == expected(["Q1", "Q2"])

    with tenant_context(tenant_a_admin.tenant):
        for code in ("Q3", "Q4", "Q5", "Q6"):
            make_question(code, AnswerType.RATING, min_value=1, max_value=5, attachment="OPTIONAL")
    six = [f"Q{n}" for n in range(1, 7)]
    assert counted(tenant_a_admin, QUESTIONS, QUESTION_QUERIES, django_assert_num_queries) == expected(six)
