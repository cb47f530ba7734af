"""Factories for the tenant-isolation test (see apps/core/testing/isolation.py) and this app's tests."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from apps.checklists import services
from apps.checklists.models import AnswerType, Checklist, ChecklistItem, ChecklistVersion, Question
from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.tenants.models import Tenant


def make_question(code: str | None = None, answer_type: str = AnswerType.SINGLE_LINE, **fields: Any) -> Question:
    code = code or f"Q-{uuid4().hex[:8]}"
    return services.create_question(
        code=code, text=fields.pop("text", f"Question {code}"), answer_type=answer_type, **fields
    )


def make_checklist(code: str | None = None, questions: list[Question] | None = None, **fields: Any) -> Checklist:
    code = code or f"CL-{uuid4().hex[:8]}"
    questions = questions or [make_question()]
    version = services.publish_checklist(
        None,
        code=code,
        name=fields.pop("name", f"Checklist {code}"),
        kind=fields.pop("kind", Checklist.Kind.CHECKLIST),
        sections=[{"title": "Main", "items": [{"question_id": q.pk} for q in questions]}],
        **fields,
    )
    return version.checklist


@isolation_factory(Question)
def make_isolation_question(tenant: Tenant) -> Question:
    return make_question()


@isolation_factory(Checklist)
def make_isolation_checklist(tenant: Tenant) -> Checklist:
    return make_checklist()


@isolation_graphql_args("checklist")
def checklist_args(obj: Checklist) -> dict[str, Any]:
    return {"id": str(obj.pk)}


@isolation_factory(ChecklistVersion)
def make_isolation_checklist_version(tenant: Tenant) -> ChecklistVersion:
    checklist = make_checklist()
    return ChecklistVersion.objects.get(pk=checklist.current_version_id)


@isolation_factory(ChecklistItem)
def make_isolation_checklist_item(tenant: Tenant) -> ChecklistItem:
    return ChecklistItem.objects.filter(checklist_version=make_isolation_checklist_version(tenant)).get()
