"""GraphQL type of a change log entry."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.audit.models import Action, ChangeLog
from apps.audit.selectors import type_label
from apps.core.context import Door

ChangeAction = graphene.Enum.from_enum(Action, name="ChangeAction", description="What a change log entry records.")
ChangeDoor = graphene.Enum.from_enum(Door, name="ChangeDoor", description="The edge a change came through.")


class ChangeLogEntryType(DjangoObjectType):
    """One change of one object, or one bulk write (``count`` rows, the first in ``objectIds``)."""

    action = graphene.Field(ChangeAction, required=True)
    door = graphene.Field(ChangeDoor, required=True)
    actor_id = graphene.ID(description="The person who acted, if a person did.")
    object_type = graphene.String(required=True, description="The changed object's type, as app.model.")
    object_id = graphene.ID(description="The changed object's id; empty for a bulk entry.")
    related_type = graphene.String(description="The related object's type, as app.model.")
    related_id = graphene.ID(description="The related object's id.")
    changes = GenericScalar(required=True, description='{field: [before, after]}; secrets read "********".')
    object_ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="A bulk entry's first row ids."
    )

    class Meta:
        model = ChangeLog
        fields = ["id", "time", "actor_label", "request_id", "object_repr", "count"]

    @staticmethod
    def resolve_action(root: ChangeLog, info: Any) -> str:
        return root.action

    @staticmethod
    def resolve_door(root: ChangeLog, info: Any) -> str:
        return root.door

    @staticmethod
    def resolve_actor_id(root: ChangeLog, info: Any) -> int | None:
        return root.actor_id

    @staticmethod
    def resolve_object_type(root: ChangeLog, info: Any) -> str | None:
        return type_label(root.object_type_id)

    @staticmethod
    def resolve_related_type(root: ChangeLog, info: Any) -> str | None:
        return type_label(root.related_type_id)

    @staticmethod
    def resolve_changes(root: ChangeLog, info: Any) -> Any:
        return root.changes

    @staticmethod
    def resolve_object_ids(root: ChangeLog, info: Any) -> list[int]:
        return list(root.object_ids)
