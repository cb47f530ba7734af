"""Who sees which tickets, and the reads every door shares.

Ticket scope, decided here only:

- tenant admins (``admin.manage``) see every ticket of the tenant;
- handlers (``tickets.manage``) and client viewers (``client.portal``) see the tickets of
  the sites ``sites_for`` gives them (a client viewer's are their client's sites);
- people who perform work (``jobs.perform``) see the tickets they raised and the tickets
  assigned to them or to a team they are in.

A ticket outside that scope is ``NotFound``, exactly like another tenant's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from apps.core.errors import NotFound
from apps.people.models import TeamMembership
from apps.sites.selectors import sees_all_sites, sites_for

from .models import EscalationRule, SlaPolicy, Ticket, TicketComment, TicketEvent

READ_CAPABILITIES = ("tickets.manage", "jobs.perform", "client.portal")
RULES_CAPABILITIES = ("tickets.manage", "admin.manage")


def team_ids_of(person: Any) -> QuerySet[TeamMembership, Any]:
    return TeamMembership.objects.filter(person_id=person.pk, team__is_active=True).values("team_id")


def _scope(person: Any) -> Q | None:
    """The tickets ``person`` may see as a filter; None for all of the tenant's."""
    if sees_all_sites(person):
        return None
    scope = Q(pk__in=[])
    if person.has_capability("tickets.manage") or person.has_capability("client.portal"):
        scope |= Q(site__in=sites_for(person).values("pk"))
    if person.has_capability("jobs.perform"):
        scope |= Q(raised_by_id=person.pk) | Q(assignee_person_id=person.pk) | Q(assignee_team__in=team_ids_of(person))
    return scope


def tickets_for(person: Any) -> QuerySet[Ticket]:
    """The tickets ``person`` may see, newest first, with what a list shows joined."""
    queryset = Ticket.objects.select_related("site", "category", "assignee_person", "assignee_team", "raised_by")
    scope = _scope(person)
    if scope is not None:
        queryset = queryset.filter(scope)
    return queryset.order_by("-created_at", "-pk")


def get_ticket_for(person: Any, ticket_id: Any, *, prefetch: Sequence[Any] = ()) -> Ticket:
    """One ticket by id, if ``person`` may see it (with ``prefetch`` lookups); otherwise ``NotFound``."""
    pk = str(ticket_id)
    ticket = tickets_for(person).prefetch_related(*prefetch).filter(pk=int(pk)).first() if pk.isdigit() else None
    if ticket is None:
        raise NotFound()
    return ticket


def may_manage(person: Any, ticket: Ticket) -> bool:
    """Handlers of the ticket's site may edit, assign and move it through its statuses."""
    if sees_all_sites(person):
        return True
    return bool(person.has_capability("tickets.manage")) and sites_for(person).filter(pk=ticket.site_id).exists()


def is_involved(person: Any, ticket: Ticket) -> bool:
    """The raiser and the assignee (or a member of the assigned team)."""
    if ticket.raised_by_id == person.pk or ticket.assignee_person_id == person.pk:
        return True
    return ticket.assignee_team_id is not None and team_ids_of(person).filter(team_id=ticket.assignee_team_id).exists()


def may_contribute(person: Any, ticket: Ticket) -> bool:
    """Who may comment and attach files: handlers, and workers involved in the ticket.
    Client viewers only read."""
    if may_manage(person, ticket):
        return True
    return bool(person.has_capability("jobs.perform")) and is_involved(person, ticket)


def comments_of(ticket: Ticket) -> QuerySet[TicketComment]:
    return TicketComment.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "pk")


def history_of(ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "pk")


def escalation_rules() -> QuerySet[EscalationRule]:
    return (
        EscalationRule.objects.select_related("category", "assignee_person", "assignee_team")
        .prefetch_related("recipients")
        .order_by("category__name", "category_id", "level", "pk")
    )


def get_escalation_rule(rule_id: Any) -> EscalationRule:
    pk = str(rule_id)
    rule = escalation_rules().filter(pk=int(pk)).first() if pk.isdigit() else None
    if rule is None:
        raise NotFound()
    return rule


def sla_policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("category").order_by("category__name", "category_id", "priority", "pk")


def get_sla_policy(policy_id: Any) -> SlaPolicy:
    pk = str(policy_id)
    policy = sla_policies().filter(pk=int(pk)).first() if pk.isdigit() else None
    if policy is None:
        raise NotFound()
    return policy
