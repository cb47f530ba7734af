"""A ticket's history: one ``TicketEvent`` per change, comment, file, escalation or breach."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.core.models import Attachment
from apps.people.models import Person, Team
from apps.tenants.models import Lookup

from .models import Ticket, TicketComment, TicketEvent


def _label(value: Any) -> Any:
    """A history value: plain for text and choices, id and name for rows, ISO for times."""
    if isinstance(value, Person | Team | Lookup):
        return {"id": value.pk, "name": value.name}
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def assignee_label(person: Person | None, team: Team | None) -> dict[str, Any] | None:
    if person is not None:
        return {"type": "person", "id": person.pk, "name": person.name}
    if team is not None:
        return {"type": "team", "id": team.pk, "name": team.name}
    return None


def record(
    ticket: Ticket,
    kind: str,
    actor: Any = None,
    *,
    field: str = "",
    old: Any = None,
    new: Any = None,
    note: str = "",
    comment: TicketComment | None = None,
    attachment: Attachment | None = None,
) -> TicketEvent:
    """Write one history line of ``ticket``."""
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        field=field,
        old_value=_label(old),
        new_value=_label(new),
        actor_id=getattr(actor, "pk", None),
        note=note,
        comment=comment,
        attachment=attachment,
    )


def record_change(ticket: Ticket, actor: Any, field: str, old: Any, new: Any, *, note: str = "") -> dict[str, Any]:
    event = record(ticket, TicketEvent.Kind.CHANGED, actor, field=field, old=old, new=new, note=note)
    return {"field": field, "from": event.old_value, "to": event.new_value}
