"""Questions and checklists in GraphQL: list queries scoped to the caller's tenant, and mutations."""

from __future__ import annotations

from typing import Any

import graphene

from apps.checklists import selectors
from apps.checklists.capabilities import READ_CAPABILITIES
from apps.checklists.filtersets import ChecklistFilterSet, QuestionFilterSet
from apps.core.graphql import SizedList, filtered, require_any_capability, selected_paths

from .mutations import ChecklistMutations
from .prefetch import checklist_lookups
from .types import AnswerTypeEnum, ChecklistKindEnum, ChecklistType, QuestionType

NEEDS_READ = f"needs {' or '.join(READ_CAPABILITIES)}"
# Neither list is paged; the cost rule counts them at this many questions and checklists.
QUESTIONS_COSTED = 100
CHECKLISTS_COSTED = 10


def require_reader(info: Any) -> Any:
    return require_any_capability(info, READ_CAPABILITIES)


class Queries(graphene.ObjectType):
    """Queries of this app, mixed into the root Query in youtility/schema.py."""

    questions = SizedList(
        QuestionType,
        max_items=QUESTIONS_COSTED,
        required=True,
        description=f"Questions of the caller's tenant ({NEEDS_READ}).",
        code=graphene.String(),
        answer_type=AnswerTypeEnum(),
        is_active=graphene.Boolean(),
        q=graphene.String(description="Code or text contains (any case or accent)."),
    )
    checklists = SizedList(
        ChecklistType,
        max_items=CHECKLISTS_COSTED,
        required=True,
        description=f"Checklists of the caller's tenant ({NEEDS_READ}).",
        code=graphene.String(),
        name=graphene.String(),
        kind=ChecklistKindEnum(),
        is_active=graphene.Boolean(),
    )
    checklist = graphene.Field(
        ChecklistType,
        id=graphene.ID(required=True),
        description=(
            f"One checklist with its versions; null when it does not exist in the caller's tenant ({NEEDS_READ})."
        ),
    )

    @staticmethod
    def resolve_questions(root: object, info: graphene.ResolveInfo, **arguments: Any) -> Any:
        require_reader(info)
        return filtered(QuestionFilterSet, selectors.questions(), arguments)

    @staticmethod
    def resolve_checklists(root: object, info: graphene.ResolveInfo, **arguments: Any) -> Any:
        require_reader(info)
        checklists = filtered(ChecklistFilterSet, selectors.checklists(), arguments)
        return checklists.prefetch_related(*checklist_lookups(selected_paths(info)))

    @staticmethod
    def resolve_checklist(root: object, info: graphene.ResolveInfo, id: str) -> Any:
        require_reader(info)
        if not str(id).isdigit():
            return None
        return selectors.checklists().filter(pk=id).prefetch_related(*checklist_lookups(selected_paths(info))).first()


class Mutations(ChecklistMutations, graphene.ObjectType):
    """Mutations of this app, mixed into the root Mutation in youtility/schema.py."""
