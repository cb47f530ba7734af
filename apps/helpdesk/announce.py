"""How ticket changes are told: e-mail (``notify``) and signed webhooks (``emit``).

The services call these inside their transaction; the notifications app sends nothing
before the transaction commits. Who is e-mailed:

- ``ticket.created``: the assignee (the person, or the members of the team);
- ``ticket.updated``: on a status change, the person who raised the ticket; on a new
  assignment, the new assignee;
- ``ticket.comment_added``: the raiser and the assignee;
- ``ticket.escalated``: the rule's notify list and the new assignee;
- ``ticket.sla_breached``: the assignee.

The person who made the change is not e-mailed about it. Every change is also emitted to
the tenant's webhooks under the same event name (``ticket.updated`` for edits,
assignments and attachments too).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.core.models import Attachment
from apps.people.models import TeamMembership

from .models import Ticket, TicketComment

CREATED = "ticket.created"
UPDATED = "ticket.updated"
ESCALATED = "ticket.escalated"
SLA_BREACHED = "ticket.sla_breached"
COMMENT_ADDED = "ticket.comment_added"


def console_path(ticket: Ticket) -> str:
    return f"/tickets/{ticket.pk}/"


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _person(person: Any) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "name": person.name}


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket as plain JSON types: the e-mail context (``{"ticket": ...}``) and the
    webhook payload. ``assignee`` is a display name for the e-mail templates; the
    structured assignee is ``assignee_person`` / ``assignee_team``. ``site`` and
    ``sla_due`` are what the templates read; ``site_code``/``site_name`` and
    ``sla_due_at`` match the alerts' flat shape and the REST field."""
    site, person, team = ticket.site, ticket.assignee_person, ticket.assignee_team
    assignee = person.name if person is not None else team.name if team is not None else None
    return {
        "id": ticket.pk,
        "uuid": str(ticket.uuid),
        "number": ticket.number,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category.name if ticket.category is not None else None,
        "category_id": ticket.category_id,
        "source": ticket.source,
        "site": {"id": site.pk, "code": site.code, "name": site.name},
        "site_id": site.pk,
        "site_code": site.code,
        "site_name": site.name,
        "raised_by": _person(ticket.raised_by),
        "assignee": assignee,
        "assignee_person": _person(person),
        "assignee_team": None if team is None else {"id": team.pk, "name": team.name},
        "escalation_level": ticket.escalation_level,
        "sla_due": _iso(ticket.sla_due_at),
        "sla_due_at": _iso(ticket.sla_due_at),
        "sla_breached_at": _iso(ticket.sla_breached_at),
        "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "url": console_path(ticket),
    }


def comment_json(comment: TicketComment) -> dict[str, Any]:
    author = comment.author
    return {
        "id": comment.pk,
        "body": comment.body,
        "author": author.name if author is not None else None,
        "author_id": author.pk if author is not None else None,
        "created_at": _iso(comment.created_at),
    }


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _assignee(ticket: Ticket) -> tuple[list[int], list[int]]:
    people = [ticket.assignee_person_id] if ticket.assignee_person_id is not None else []
    teams = [ticket.assignee_team_id] if ticket.assignee_team_id is not None else []
    return people, teams


def _tell(
    event: str,
    ticket: Ticket,
    *,
    people: Iterable[int | None] = (),
    teams: Iterable[int | None] = (),
    actor: Any = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """E-mail ``people`` and ``teams`` (never the actor) and emit the event to webhooks."""
    from apps.notifications.services import emit, notify

    context = {"ticket": ticket_json(ticket), **(extra or {})}
    actor_id = getattr(actor, "pk", None)
    person_ids: set[int] = {pk for pk in people if pk is not None}
    team_ids: set[int] = {pk for pk in teams if pk is not None}
    if actor_id is not None and team_ids:
        # Teams are expanded here, so that a member who made the change is left out too.
        members = TeamMembership.objects.filter(team_id__in=team_ids, team__is_active=True)
        person_ids |= set(members.values_list("person_id", flat=True))
        team_ids = set()
    if actor_id is not None:
        person_ids.discard(actor_id)
    if person_ids or team_ids:
        notify(event, people=sorted(person_ids), teams=sorted(team_ids), context=context, site_id=ticket.site_id)
    emit(event, {**context, "actor": _person(actor)})


def created(ticket: Ticket, actor: Any) -> None:
    people, teams = _assignee(ticket)
    _tell(CREATED, ticket, people=people, teams=teams, actor=actor)


def updated(ticket: Ticket, actor: Any, changes: list[dict[str, Any]]) -> None:
    """Edits, transitions, assignments and attachments. A status change is e-mailed to the
    raiser, a new assignee to that person or team; every change goes to webhooks with what
    changed (``changes``: field, from, to)."""
    fields = {change["field"] for change in changes}
    people: list[int | None] = [ticket.raised_by_id] if "status" in fields else []
    teams: list[int | None] = []
    if "assignee" in fields:
        assigned_people, assigned_teams = _assignee(ticket)
        people += assigned_people
        teams += assigned_teams
    _tell(UPDATED, ticket, people=people, teams=teams, actor=actor, extra={"changes": changes})


def comment_added(ticket: Ticket, comment: TicketComment, actor: Any) -> None:
    people, teams = _assignee(ticket)
    _tell(
        COMMENT_ADDED,
        ticket,
        people=[ticket.raised_by_id, *people],
        teams=teams,
        actor=actor,
        extra={"comment": comment_json(comment)},
    )


def escalated(ticket: Ticket, level: int, notify_people: list[int], notify_teams: list[int]) -> None:
    people, teams = _assignee(ticket)
    _tell(
        ESCALATED,
        ticket,
        people=[*notify_people, *people],
        teams=[*notify_teams, *teams],
        extra={"level": level},
    )


def sla_breached(ticket: Ticket) -> None:
    people, teams = _assignee(ticket)
    _tell(SLA_BREACHED, ticket, people=people, teams=teams)
