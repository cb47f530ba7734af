"""Mutations for questions and checklists: parse, call the service, return; errors carry codes."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import prefetch_related_objects

from apps.checklists import selectors, services
from apps.checklists.capabilities import WRITE_CAPABILITIES
from apps.checklists.models import Checklist, ChecklistVersion, Question
from apps.core.graphql import require_any_capability, selected_paths

from .prefetch import checklist_lookups, version_lookups
from .types import (
    AnswerTypeEnum,
    AttachmentRuleEnum,
    ChecklistKindEnum,
    ChecklistType,
    ChecklistVersionType,
    QuestionType,
)


def require_writer(info: Any) -> Any:
    return require_any_capability(info, WRITE_CAPABILITIES)


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _question_fields(data: Any) -> dict[str, Any]:
    fields = {key: _enum_value(value) for key, value in dict(data).items()}
    return fields


class QuestionInput(graphene.InputObjectType):
    code = graphene.String(required=True)
    text = graphene.String(required=True)
    answer_type = AnswerTypeEnum(required=True)
    options = graphene.List(graphene.NonNull(graphene.String))
    min_value = graphene.Decimal()
    max_value = graphene.Decimal()
    alert_on = graphene.List(graphene.NonNull(graphene.String))
    attachment = AttachmentRuleEnum()


class QuestionPatchInput(graphene.InputObjectType):
    """Fields to change; omitted fields keep their values."""

    code = graphene.String()
    text = graphene.String()
    answer_type = AnswerTypeEnum()
    options = graphene.List(graphene.NonNull(graphene.String))
    min_value = graphene.Decimal()
    max_value = graphene.Decimal()
    alert_on = graphene.List(graphene.NonNull(graphene.String))
    attachment = AttachmentRuleEnum()
    is_active = graphene.Boolean()


class ChecklistItemInput(graphene.InputObjectType):
    question_id = graphene.ID(required=True)
    mandatory = graphene.Boolean(default_value=True)
    min_value = graphene.Decimal(description="Narrower limit for this use; null inherits the question's.")
    max_value = graphene.Decimal(description="Narrower limit for this use; null inherits the question's.")
    options = graphene.List(graphene.NonNull(graphene.String), description="A subset of the question's options.")
    alert_on = graphene.List(graphene.NonNull(graphene.String))


class ChecklistSectionInput(graphene.InputObjectType):
    title = graphene.String(required=True)
    items = graphene.List(graphene.NonNull(ChecklistItemInput), required=True)


class ChecklistInput(graphene.InputObjectType):
    code = graphene.String(description="Required when creating a checklist; ignored when publishing an edit.")
    name = graphene.String(required=True)
    kind = ChecklistKindEnum(default_value=Checklist.Kind.CHECKLIST.value)
    sections = graphene.List(graphene.NonNull(ChecklistSectionInput), required=True)


class CreateQuestion(graphene.Mutation):
    """Create a question (needs sites.manage or schedules.manage)."""

    class Arguments:
        input = QuestionInput(required=True)

    question = graphene.Field(QuestionType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateQuestion:
        require_writer(info)
        question = services.create_question(**_question_fields(input))
        return CreateQuestion(question=question)


class UpdateQuestion(graphene.Mutation):
    """Change a question; published checklist versions keep the rules they were published with."""

    class Arguments:
        id = graphene.ID(required=True)
        input = QuestionPatchInput(required=True)

    question = graphene.Field(QuestionType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateQuestion:
        require_writer(info)
        question: Question = selectors.get_question(id)
        question = services.update_question(question, **_question_fields(input))
        return UpdateQuestion(question=question)


class PublishChecklist(graphene.Mutation):
    """Create a checklist (no ``id``) or publish a new version of one; earlier versions stay readable."""

    class Arguments:
        id = graphene.ID(description="The checklist to publish a new version of; omit to create one.")
        input = ChecklistInput(required=True)

    checklist = graphene.Field(ChecklistType, required=True)
    version = graphene.Field(ChecklistVersionType, required=True, description="The version just published.")

    @staticmethod
    def mutate(root: Any, info: Any, input: Any, id: str | None = None) -> PublishChecklist:
        user = require_writer(info)
        sections = [
            {
                "title": section.title,
                "items": [{key: value for key, value in dict(item).items()} for item in section["items"]],
            }
            for section in input["sections"]
        ]
        checklist = selectors.get_checklist(id) if id is not None else None
        version: ChecklistVersion = services.publish_checklist(
            checklist,
            code=input.get("code"),
            name=input["name"],
            kind=_enum_value(input.get("kind")),
            sections=sections,
            published_by=user,
        )
        paths = selected_paths(info)
        prefetch_related_objects([version.checklist], *checklist_lookups(paths, "checklist"))
        prefetch_related_objects([version], *version_lookups(paths, "version"))
        return PublishChecklist(checklist=version.checklist, version=version)


class ChecklistMutations(graphene.ObjectType):
    create_question = CreateQuestion.Field()
    update_question = UpdateQuestion.Field()
    publish_checklist = PublishChecklist.Field()
