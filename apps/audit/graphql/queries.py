"""The change log over GraphQL: the REST list's filters and scope (tenant admins only)."""

from __future__ import annotations

from typing import Any

import graphene

from apps.audit import selectors
from apps.audit.filtersets import ChangeLogFilterSet
from apps.core.graphql import SizedList, filtered_page, require_capability

from .types import ChangeAction, ChangeDoor, ChangeLogEntryType

MAX_PAGE = 500


class AuditQueries(graphene.ObjectType):
    changelog = SizedList(
        ChangeLogEntryType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Who changed what, when, through which door; newest first (needs admin.manage).",
        object_type=graphene.String(description="The changed object's type, as app.model (people.person)."),
        object_id=graphene.ID(),
        related_type=graphene.String(description="The related object's type, as app.model."),
        related_id=graphene.ID(),
        actor_id=graphene.ID(description="The person who acted."),
        door=graphene.List(graphene.NonNull(ChangeDoor)),
        action=graphene.List(graphene.NonNull(ChangeAction)),
        request_id=graphene.String(),
        time_after=graphene.DateTime(description="At or after."),
        time_before=graphene.DateTime(description="Before."),
        first=graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        offset=graphene.Int(default_value=0),
    )

    @staticmethod
    def resolve_changelog(root: Any, info: Any, first: int = 100, offset: int = 0, **filters: Any) -> list[Any]:
        user = require_capability(info, selectors.READ_CAPABILITY)
        data = {
            "object_type": filters.get("object_type"),
            "object_id": filters.get("object_id"),
            "related_type": filters.get("related_type"),
            "related_id": filters.get("related_id"),
            "actor": filters.get("actor_id"),
            "door": filters.get("door") or None,
            "action": filters.get("action") or None,
            "request_id": filters.get("request_id"),
            "time_after": filters.get("time_after"),
            "time_before": filters.get("time_before"),
        }
        return list(filtered_page(ChangeLogFilterSet, selectors.entries_for(user), data, first, offset, MAX_PAGE))
