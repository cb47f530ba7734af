"""Ticket, escalation-rule and SLA-policy queries, scoped like REST (``selectors``)."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import Prefetch
from graphql import GraphQLError

from apps.core.graphql import SizedList, filtered, selected_paths
from apps.core.graphql import require_any_capability as require_any
from apps.core.models import Attachment
from apps.helpdesk import selectors
from apps.helpdesk.filtersets import EscalationRuleFilterSet, SlaPolicyFilterSet, TicketFilterSet
from apps.helpdesk.models import Ticket, TicketComment, TicketEvent

from .types import EscalationRuleType, SlaPolicyType, TicketPriority, TicketStatus, TicketType

MAX_PAGE = 200
# The matrix and the policies are not paged; the cost rule counts each at this many rows
# (a rule per category and level, a policy per category and priority).
UNPAGED_RULES = 20


def ticket_lookups(info: Any) -> list[Prefetch]:
    """Prefetches for the nested lists the query selects, one query each."""
    paths = selected_paths(info)
    lookups: list[Prefetch] = []
    if "comments" in paths:
        comments = TicketComment.objects.select_related("author").order_by("created_at", "pk")
        lookups.append(Prefetch("comments", queryset=comments))
    if "attachments" in paths:
        lookups.append(Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "pk")))
    if "history" in paths:
        events = TicketEvent.objects.select_related("actor").order_by("created_at", "pk")
        lookups.append(Prefetch("events", queryset=events))
    return lookups


def _values(values: Any) -> list[str] | None:
    return [getattr(value, "value", value) for value in values] if values else None


class TicketQueries(graphene.ObjectType):
    tickets = SizedList(
        TicketType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Tickets the caller may see, newest first (tickets.manage, jobs.perform or client.portal).",
        status=graphene.List(graphene.NonNull(TicketStatus)),
        site_id=graphene.ID(),
        category_id=graphene.ID(),
        priority=graphene.List(graphene.NonNull(TicketPriority)),
        assignee_person_id=graphene.ID(),
        assignee_team_id=graphene.ID(),
        created_from=graphene.DateTime(description="Created at or after."),
        created_to=graphene.DateTime(description="Created before."),
        number=graphene.String(description="NORTH#12, or 12 for that number at any site."),
        first=graphene.Int(default_value=50, description=f"Page size, at most {MAX_PAGE}."),
        offset=graphene.Int(default_value=0),
    )
    ticket = graphene.Field(TicketType, id=graphene.ID(required=True), description="One ticket the caller may see.")
    escalation_rules = SizedList(
        EscalationRuleType,
        max_items=UNPAGED_RULES,
        required=True,
        description="The escalation matrix (tickets.manage or admin.manage).",
        category_id=graphene.ID(),
        default=graphene.Boolean(description="Only the default matrix."),
    )
    sla_policies = SizedList(
        SlaPolicyType,
        max_items=UNPAGED_RULES,
        required=True,
        description="SLA policies (tickets.manage or admin.manage).",
        category_id=graphene.ID(),
        priority=TicketPriority(),
    )

    @staticmethod
    def resolve_tickets(root: Any, info: Any, first: int = 50, offset: int = 0, **filters: Any) -> Any:
        user = require_any(info, selectors.READ_CAPABILITIES)
        if not 0 < first <= MAX_PAGE or offset < 0:
            raise GraphQLError(f"first is 1-{MAX_PAGE} and offset at least 0.", extensions={"code": "invalid_page"})
        data = {
            "status": _values(filters.get("status")),
            "site": filters.get("site_id"),
            "category": filters.get("category_id"),
            "priority": _values(filters.get("priority")),
            "assignee_person": filters.get("assignee_person_id"),
            "assignee_team": filters.get("assignee_team_id"),
            "created_from": filters["created_from"].isoformat() if filters.get("created_from") else None,
            "created_to": filters["created_to"].isoformat() if filters.get("created_to") else None,
            "number": filters.get("number"),
        }
        queryset = filtered(TicketFilterSet, selectors.tickets_for(user), data)
        return list(queryset.prefetch_related(*ticket_lookups(info))[offset : offset + first])

    @staticmethod
    def resolve_ticket(root: Any, info: Any, id: str) -> Ticket:
        user = require_any(info, selectors.READ_CAPABILITIES)
        return selectors.get_ticket_for(user, id, prefetch=ticket_lookups(info))

    @staticmethod
    def resolve_escalation_rules(root: Any, info: Any, category_id: Any = None, default: Any = None) -> Any:
        require_any(info, selectors.RULES_CAPABILITIES)
        data = {"category": category_id, "default": default}
        return list(filtered(EscalationRuleFilterSet, selectors.escalation_rules(), data))

    @staticmethod
    def resolve_sla_policies(root: Any, info: Any, category_id: Any = None, priority: Any = None) -> Any:
        require_any(info, selectors.RULES_CAPABILITIES)
        data = {"category": category_id, "priority": getattr(priority, "value", priority)}
        return list(filtered(SlaPolicyFilterSet, selectors.sla_policies(), data))
