"""The escalation matrix and the SLA watch, run by the beat tasks for the tenant in context.

Escalation: a NEW or OPEN ticket at level L whose matrix has a rule for level L+1, and
that has been at level L for at least that rule's wait (counted from ``level_since``:
when it reached level L, or was reopened), moves to L+1: reassigned to the rule's
assignee (a person only if they may see the ticket's site), one history line, e-mail to
the rule's notify list and the new assignee, a ``TICKET_ESCALATED`` alert and the
``ticket.escalated`` webhook. One level per run: the next level waits its own time.

SLA: an active ticket (NEW, OPEN, ON HOLD) past ``sla_due_at`` is marked breached once:
``sla_breached_at``, a history line, a ``SLA_BREACH`` alert (dedupe key per ticket),
``ticket.sla_breached`` to the assignee and the webhooks.

Both are idempotent: each ticket is re-read under a row lock and re-checked before it is
changed, so two runs at the same moment change it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core import tenancy
from apps.people.models import Person
from apps.sites.selectors import sites_for

from . import announce
from .history import assignee_label, record, record_change
from .models import ACTIVE_STATUSES, ESCALATING_STATUSES, EscalationRule, Ticket, TicketEvent
from .services import save_ticket

log = structlog.get_logger(__name__)

#: Tickets handled per tenant and run; the rest wait for the next run (a minute later).
BATCH = 500

#: Ticket priority -> alert severity.
SEVERITY = {"LOW": "LOW", "MEDIUM": "MEDIUM", "HIGH": "HIGH", "URGENT": "CRITICAL"}

Matrix = dict[int | None, dict[int, EscalationRule]]


def _each(ticket_ids: list[int], work: Callable[[int], bool], name: str) -> int:
    """Run ``work`` for each ticket in its own transaction; one that fails is logged and the
    others carry on (the next run tries it again), so one bad ticket cannot hold up the rest."""
    done = 0
    for pk in ticket_ids:
        try:
            done += work(pk)
        except Exception:
            log.exception(f"helpdesk.{name}_failed", ticket_id=pk)
    return done


def load_matrix() -> Matrix:
    """Active rules of the tenant by category (None: the default matrix), then level."""
    matrix: Matrix = defaultdict(dict)
    for rule in (
        EscalationRule.objects.filter(is_active=True).select_related("assignee_team").prefetch_related("recipients")
    ):
        matrix[rule.category_id][rule.level] = rule
    return dict(matrix)


def next_rule(matrix: Matrix, ticket: Ticket) -> EscalationRule | None:
    """The rule that takes ``ticket`` to its next level: its category's matrix if the
    category has one, else the default matrix."""
    rules = matrix.get(ticket.category_id) if ticket.category_id in matrix else matrix.get(None, {})
    return (rules or {}).get(ticket.escalation_level + 1)


def _due(matrix: Matrix, now: datetime) -> Q:
    """Tickets some rule of ``matrix`` makes due at ``now``, as one filter."""
    with_own = [category for category in matrix if category is not None]
    due = Q(pk__in=[])
    for category, rules in matrix.items():
        scope = (
            Q(category_id=category) if category is not None else Q(category__isnull=True) | ~Q(category_id__in=with_own)
        )
        for level, rule in rules.items():
            due |= scope & Q(escalation_level=level - 1, level_since__lte=now - timedelta(minutes=rule.wait_minutes))
    return due


def escalate_due_tickets(now: datetime | None = None) -> int:
    """Escalate every ticket of the tenant in context that is due; return how many."""
    now = now or timezone.now()
    matrix = load_matrix()
    if not matrix:
        return 0
    candidates = list(
        Ticket.objects.filter(_due(matrix, now), status__in=ESCALATING_STATUSES)
        .order_by("level_since", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return _each(candidates, lambda pk: escalate_ticket(pk, matrix, now), "escalation")


def _rule_assignee(rule: EscalationRule, ticket: Ticket) -> tuple[Any, Any] | None:
    """The person or team ``rule`` hands the ticket to; None to keep the current assignee
    (no assignee on the rule, or one who is inactive or may not see the site)."""
    if rule.assignee_person_id is not None:
        person = Person.objects.filter(pk=rule.assignee_person_id, is_active=True).prefetch_related("roles").first()
        if person is not None and sites_for(person).filter(pk=ticket.site_id).exists():
            return person, None
        log.warning("helpdesk.escalation_assignee_skipped", ticket_id=ticket.pk, rule_id=rule.pk)
        return None
    if rule.assignee_team_id is not None and rule.assignee_team is not None and rule.assignee_team.is_active:
        return None, rule.assignee_team
    return None


def escalate_ticket(ticket_id: int, matrix: Matrix, now: datetime) -> bool:
    """Escalate one ticket if it is still due once locked; True when it was."""
    from apps.noc.services import raise_alert

    with transaction.atomic(using=tenancy.db_alias()):
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("site", "category", "assignee_person", "assignee_team", "raised_by")
            .filter(pk=ticket_id, status__in=ESCALATING_STATUSES)
            .first()
        )
        if ticket is None:
            return False
        rule = next_rule(matrix, ticket)
        if rule is None or ticket.level_since > now - timedelta(minutes=rule.wait_minutes):
            return False  # escalated or reopened meanwhile, or the matrix changed
        previous = ticket.escalation_level
        ticket.escalation_level = rule.level
        ticket.level_since = now
        handover = _rule_assignee(rule, ticket)
        before = assignee_label(ticket.assignee_person, ticket.assignee_team)
        if handover is not None:
            ticket.assignee_person, ticket.assignee_team = handover
        save_ticket(ticket)
        record(
            ticket,
            TicketEvent.Kind.ESCALATED,
            field="escalation_level",
            old=previous,
            new=rule.level,
            note=f"Waited {rule.wait_minutes} minutes at level {previous}.",
        )
        after = assignee_label(ticket.assignee_person, ticket.assignee_team)
        if after != before:
            record_change(ticket, None, "assignee", before, after, note=f"Escalation level {rule.level}.")
        recipients = list(rule.recipients.all())
        announce.escalated(
            ticket,
            rule.level,
            [row.person_id for row in recipients if row.person_id is not None],
            [row.team_id for row in recipients if row.team_id is not None],
        )
        raise_alert(
            type="TICKET_ESCALATED",
            severity=SEVERITY[ticket.priority],
            dedupe_key=f"ticket:{ticket.pk}:escalated:{rule.level}",
            title=f"Ticket {ticket.number} escalated to level {rule.level}: {ticket.title}"[:200],
            site=ticket.site,
            details={
                "ticket_id": ticket.pk,
                "number": ticket.number,
                "level": rule.level,
                "priority": ticket.priority,
                "assignee": after,
            },
            source=ticket,
        )
    log.info("helpdesk.ticket_escalated", ticket_id=ticket.pk, number=ticket.number, level=rule.level)
    return True


def check_sla_breaches(now: datetime | None = None) -> int:
    """Mark every active ticket of the tenant in context that is past its SLA; return how many."""
    now = now or timezone.now()
    candidates = list(
        Ticket.objects.filter(status__in=ACTIVE_STATUSES, sla_breached_at__isnull=True, sla_due_at__lte=now)
        .order_by("sla_due_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return _each(candidates, lambda pk: breach_ticket(pk, now), "sla_check")


def breach_ticket(ticket_id: int, now: datetime) -> bool:
    """Record the SLA breach of one ticket if, once locked, it is still unresolved and past due."""
    from apps.noc.services import raise_alert

    with transaction.atomic(using=tenancy.db_alias()):
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("site", "category", "assignee_person", "assignee_team", "raised_by")
            .filter(pk=ticket_id, status__in=ACTIVE_STATUSES, sla_breached_at__isnull=True, sla_due_at__lte=now)
            .first()
        )
        if ticket is None:
            return False
        ticket.sla_breached_at = now
        save_ticket(ticket)
        record(
            ticket,
            TicketEvent.Kind.SLA_BREACHED,
            field="sla_breached_at",
            new=now,
            note=f"Due {ticket.sla_due_at.isoformat() if ticket.sla_due_at else ''}; still {ticket.status}.",
        )
        announce.sla_breached(ticket)
        raise_alert(
            type="SLA_BREACH",
            severity=SEVERITY[ticket.priority],
            dedupe_key=f"ticket:{ticket.pk}:sla",
            title=f"Ticket {ticket.number} missed its SLA: {ticket.title}"[:200],
            site=ticket.site,
            details={
                "ticket_id": ticket.pk,
                "number": ticket.number,
                "priority": ticket.priority,
                "sla_due_at": announce.ticket_json(ticket)["sla_due_at"],
            },
            source=ticket,
        )
    log.info("helpdesk.ticket_sla_breached", ticket_id=ticket.pk, number=ticket.number)
    return True
