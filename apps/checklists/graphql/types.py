"""GraphQL types of questions and checklist versions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene
from graphene_django import DjangoObjectType

from apps.checklists.models import (
    AnswerType,
    AttachmentRule,
    Checklist,
    ChecklistItem,
    ChecklistSection,
    ChecklistVersion,
    Question,
)
from apps.core.graphql import SizedList
from apps.people.graphql.types import PersonType


def plain_decimal(value: Decimal | None) -> Decimal | None:
    """``8`` rather than ``8.000000`` (the column's scale), and never ``1E+2``."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


AnswerTypeEnum = graphene.Enum.from_enum(AnswerType, name="AnswerType", description="How a question is answered.")
AttachmentRuleEnum = graphene.Enum.from_enum(
    AttachmentRule, name="AttachmentRule", description="Whether an answer needs a photo or file."
)
ChecklistKindEnum = graphene.Enum.from_enum(
    Checklist.Kind, name="ChecklistKind", description="What a checklist is for."
)


# The cost rule counts a checklist's lists at a typical checklist's size rather than at
# the caps of services.MAX_SECTIONS and MAX_ITEMS: a list of checklists with their items,
# what the phone syncs, would otherwise cost more than any budget. Versions are not capped.
VERSIONS_COSTED = 3
SECTIONS_COSTED = 5
SECTION_ITEMS_COSTED = 10
VERSION_ITEMS_COSTED = 30


class QuestionType(DjangoObjectType):
    """A reusable question of the caller's tenant."""

    answer_type = graphene.Field(AnswerTypeEnum, required=True)
    attachment = graphene.Field(AttachmentRuleEnum, required=True)
    options = graphene.List(graphene.NonNull(graphene.String), required=True)
    alert_on = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Answers that raise an alert."
    )

    min_value = graphene.Decimal()
    max_value = graphene.Decimal()

    class Meta:
        model = Question
        fields = ["id", "uuid", "code", "text", "min_value", "max_value", "is_active", "version"]
        convert_choices_to_enum = False

    @staticmethod
    def resolve_min_value(root: Question, info: Any) -> Decimal | None:
        return plain_decimal(root.min_value)

    @staticmethod
    def resolve_max_value(root: Question, info: Any) -> Decimal | None:
        return plain_decimal(root.max_value)

    @staticmethod
    def resolve_answer_type(root: Question, info: Any) -> Any:
        return AnswerType(root.answer_type)

    @staticmethod
    def resolve_attachment(root: Question, info: Any) -> Any:
        return AttachmentRule(root.attachment)


class ChecklistItemType(DjangoObjectType):
    """A question as used in one checklist version, with the limits and options in force."""

    question = graphene.Field(QuestionType, required=True)
    min_value = graphene.Decimal(description="The lower limit in force for this item.")
    max_value = graphene.Decimal(description="The upper limit in force for this item.")
    options = graphene.List(graphene.NonNull(graphene.String), required=True)
    alert_on = graphene.List(graphene.NonNull(graphene.String), required=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "uuid", "position", "mandatory"]

    @staticmethod
    def resolve_question(root: ChecklistItem, info: Any) -> Question:
        return root.question

    @staticmethod
    def resolve_min_value(root: ChecklistItem, info: Any) -> Any:
        return plain_decimal(root.effective_min)

    @staticmethod
    def resolve_max_value(root: ChecklistItem, info: Any) -> Any:
        return plain_decimal(root.effective_max)

    @staticmethod
    def resolve_options(root: ChecklistItem, info: Any) -> list[str]:
        return root.effective_options

    @staticmethod
    def resolve_alert_on(root: ChecklistItem, info: Any) -> list[str]:
        return root.effective_alert_on


class ChecklistSectionType(DjangoObjectType):
    """A titled group of items in one checklist version."""

    items = SizedList(ChecklistItemType, max_items=SECTION_ITEMS_COSTED, required=True)

    class Meta:
        model = ChecklistSection
        fields = ["id", "title", "position"]

    @staticmethod
    def resolve_items(root: ChecklistSection, info: Any) -> Any:
        # Prefetched in position order (see prefetch.py); unprefetched, the model's ordering is the same.
        return root.items.all()


class ChecklistVersionType(DjangoObjectType):
    """One published, immutable edition of a checklist."""

    sections = SizedList(ChecklistSectionType, max_items=SECTIONS_COSTED, required=True)
    items = SizedList(
        ChecklistItemType, max_items=VERSION_ITEMS_COSTED, required=True, description="All items in order."
    )
    published_by = graphene.Field(
        PersonType, description="Who published it; null without people.view (guards read checklists, not people)."
    )

    class Meta:
        model = ChecklistVersion
        fields = ["id", "number", "published_at", "published_by"]

    @staticmethod
    def resolve_sections(root: ChecklistVersion, info: Any) -> Any:
        return root.sections.all()

    @staticmethod
    def resolve_items(root: ChecklistVersion, info: Any) -> Any:
        return root.items.all()

    @staticmethod
    def resolve_published_by(root: ChecklistVersion, info: Any) -> Any:
        user = getattr(info.context, "user", None)
        if root.published_by_id is None or user is None or not user.has_capability("people.view"):
            return None
        return root.published_by


class ChecklistType(DjangoObjectType):
    """A checklist of the caller's tenant; its items live in its versions."""

    kind = graphene.Field(ChecklistKindEnum, required=True)
    current_version = graphene.Field(ChecklistVersionType)
    versions = SizedList(
        ChecklistVersionType,
        max_items=VERSIONS_COSTED,
        required=True,
        description="Every published version, newest first.",
    )

    class Meta:
        model = Checklist
        fields = ["id", "uuid", "code", "name", "is_active", "version"]
        convert_choices_to_enum = False

    @staticmethod
    def resolve_kind(root: Checklist, info: Any) -> Any:
        return Checklist.Kind(root.kind)

    @staticmethod
    def resolve_current_version(root: Checklist, info: Any) -> Any:
        return root.current_version

    @staticmethod
    def resolve_versions(root: Checklist, info: Any) -> Any:
        return root.versions.all()
