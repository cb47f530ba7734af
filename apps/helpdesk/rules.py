"""Writes of the escalation matrix and the SLA policies (re-exported by ``services``).

Both are tenant-wide settings, edited by ticket handlers and admins. Rules:

- a category is a Lookup of kind TICKET_CATEGORY, or none for the default matrix/policy;
- one rule per category and level (``duplicate_rule``), one policy per category and
  priority (``duplicate_policy``);
- a rule's assignee is an active person or team of the tenant, not both; its notify list
  names at most ``MAX_RECIPIENTS`` people and as many teams. An editor who is not a tenant
  admin may only name people they can see (others are ``unknown_person``).

Editing a policy does not move the due time of tickets already raised: that is set when a
ticket is created or its category or priority changes.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from apps.audit import services as changelog
from apps.core import tenancy
from apps.core.errors import PermissionDenied
from apps.sites.selectors import sees_all_sites

from . import checks, selectors
from .models import EscalationRecipient, EscalationRule, SlaPolicy

MAX_LEVEL = 10
MAX_WAIT_MINUTES = 30 * 24 * 60
MAX_RESOLVE_MINUTES = 365 * 24 * 60
MAX_RECIPIENTS = 20

RULE_FIELDS = frozenset(
    {
        "category_id",
        "level",
        "wait_minutes",
        "assignee_person_id",
        "assignee_team_id",
        "notify_people",
        "notify_teams",
        "is_active",
    }
)
POLICY_FIELDS = frozenset({"category_id", "priority", "resolve_within_minutes"})


def _check_actor(actor: Any) -> None:
    if actor is not None and not actor.has_any_capability(selectors.RULES_CAPABILITIES):
        raise PermissionDenied("Changing the escalation matrix and SLA policies needs tickets.manage.")


def _unknown(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise checks.TicketError(
            f"Unknown fields: {', '.join(unknown)}.", code="unknown_fields", details={"fields": unknown}
        )


def _whole_number(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise checks.TicketError(
            f"{field} must be a whole number from {low} to {high}.",
            code=f"invalid_{field}",
            details={"field": field, "min": low, "max": high},
        )
    return value


def _ids(values: Any, field: str) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise checks.TicketError(f"{field} is a list of ids.", code=f"invalid_{field}", details={"field": field})
    unique = list(dict.fromkeys(values))
    if len(unique) > MAX_RECIPIENTS:
        raise checks.TicketError(
            f"{field} names at most {MAX_RECIPIENTS}.",
            code="too_many_recipients",
            details={"field": field, "max": MAX_RECIPIENTS},
        )
    return unique


def _apply_rule(actor: Any, rule: EscalationRule, fields: dict[str, Any]) -> EscalationRule:
    _unknown(fields, RULE_FIELDS)
    visible_to = actor if actor is not None and not sees_all_sites(actor) else None
    if "category_id" in fields:
        rule.category = checks.clean_category(fields["category_id"])
    if "level" in fields:
        rule.level = _whole_number(fields["level"], "level", 1, MAX_LEVEL)
    if "wait_minutes" in fields:
        rule.wait_minutes = _whole_number(fields["wait_minutes"], "wait_minutes", 1, MAX_WAIT_MINUTES)
    if "is_active" in fields:
        rule.is_active = bool(fields["is_active"])
    person = fields.get("assignee_person_id", rule.assignee_person_id)
    team = fields.get("assignee_team_id", rule.assignee_team_id)
    if person is not None and team is not None:
        raise checks.TicketError(
            "A rule assigns to a person or to a team, not both.", code="one_assignee", details={"field": "assignee"}
        )
    if "assignee_person_id" in fields:
        rule.assignee_person = (
            checks.clean_person(person, field="assignee_person", visible_to=visible_to) if person else None
        )
    if "assignee_team_id" in fields:
        rule.assignee_team = checks.clean_team(team, field="assignee_team") if team else None
    if rule.level is None or rule.wait_minutes is None:
        raise checks.TicketError(
            "A rule needs a level and a wait.", code="invalid_rule", details={"fields": ["level", "wait_minutes"]}
        )
    people = [
        checks.clean_person(pk, field="notify_people", visible_to=visible_to)
        for pk in _ids(fields.get("notify_people"), "notify_people")
    ]
    teams = [checks.clean_team(pk, field="notify_teams") for pk in _ids(fields.get("notify_teams"), "notify_teams")]
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            rule.save()
    except IntegrityError as exc:
        if checks.constraint_name(exc) == "helpdesk_rule_category_level":
            raise checks.TicketConflict(
                f"There is already a level {rule.level} rule for this category.",
                code="duplicate_rule",
                details={"field": "level"},
            ) from exc
        raise
    if "notify_people" in fields or "notify_teams" in fields:
        if "notify_people" in fields:
            rows = [EscalationRecipient(rule=rule, person=p) for p in people]
            _replace_recipients(rule, rows, field="person", what="notified people")
        if "notify_teams" in fields:
            _replace_recipients(
                rule, [EscalationRecipient(rule=rule, team=t) for t in teams], field="team", what="notified teams"
            )
    return selectors.get_escalation_rule(rule.pk)


def _replace_recipients(rule: EscalationRule, rows: list[EscalationRecipient], *, field: str, what: str) -> None:
    """Replace the rule's recipients of one kind (``field``: person or team) by ``rows``,
    recorded as one change log entry."""
    with changelog.quiet(EscalationRecipient):
        removed = EscalationRecipient.objects.filter(rule=rule, **{f"{field}__isnull": False}).delete()[0]
    created = EscalationRecipient.objects.bulk_create(rows)
    changelog.record_replaced(
        EscalationRecipient, removed=removed, created=[row.pk for row in created], related=rule, what=what
    )


def create_escalation_rule(actor: Any, **fields: Any) -> EscalationRule:
    """Add a level to a category's matrix (``category_id`` None: the default matrix).

    ``fields``: category_id, level (1-10), wait_minutes, assignee_person_id or
    assignee_team_id, notify_people and notify_teams (lists of ids), is_active.
    """
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        return _apply_rule(actor, EscalationRule(), fields)


def update_escalation_rule(actor: Any, rule: EscalationRule, **fields: Any) -> EscalationRule:
    """Change the given fields; a notify list given replaces that list."""
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        locked = EscalationRule.objects.select_for_update().get(pk=rule.pk)
        return _apply_rule(actor, locked, fields)


def delete_escalation_rule(actor: Any, rule: EscalationRule) -> None:
    """Remove a level; tickets already past it keep their level."""
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        EscalationRule.objects.filter(pk=rule.pk).delete()


def _apply_policy(policy: SlaPolicy, fields: dict[str, Any]) -> SlaPolicy:
    _unknown(fields, POLICY_FIELDS)
    if "category_id" in fields:
        policy.category = checks.clean_category(fields["category_id"])
    if "priority" in fields:
        policy.priority = checks.clean_priority(fields["priority"])
    if "resolve_within_minutes" in fields:
        policy.resolve_within_minutes = _whole_number(
            fields["resolve_within_minutes"], "resolve_within_minutes", 1, MAX_RESOLVE_MINUTES
        )
    if not policy.priority or policy.resolve_within_minutes is None:
        raise checks.TicketError(
            "A policy needs a priority and a time to resolve.",
            code="invalid_policy",
            details={"fields": ["priority", "resolve_within_minutes"]},
        )
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            policy.save()
    except IntegrityError as exc:
        if checks.constraint_name(exc) == "helpdesk_sla_category_priority":
            raise checks.TicketConflict(
                "There is already a policy for this category and priority.",
                code="duplicate_policy",
                details={"field": "priority"},
            ) from exc
        raise
    return selectors.get_sla_policy(policy.pk)


def create_sla_policy(actor: Any, **fields: Any) -> SlaPolicy:
    """How long tickets of a category (None: any category without its own) and priority
    may take: ``category_id``, ``priority``, ``resolve_within_minutes``."""
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        return _apply_policy(SlaPolicy(), fields)


def update_sla_policy(actor: Any, policy: SlaPolicy, **fields: Any) -> SlaPolicy:
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        return _apply_policy(SlaPolicy.objects.select_for_update().get(pk=policy.pk), fields)


def delete_sla_policy(actor: Any, policy: SlaPolicy) -> None:
    _check_actor(actor)
    with transaction.atomic(using=tenancy.db_alias()):
        SlaPolicy.objects.filter(pk=policy.pk).delete()
