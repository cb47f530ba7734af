"""Writes of tickets: validate, act in one transaction, record the history, announce on commit.

The doors (REST, GraphQL, admin, other apps) call these; the rules live here only:

- numbers are ``<SITECODE>#<n>``, taken from a per-site counter row locked for the rest of
  the transaction, so concurrent tickets at a site get 1, 2, 3... without gaps or repeats;
- the status machine is ``TRANSITIONS``; anything else is ``invalid_transition``;
- an assignee is a person or a team of the tenant, a person only if they may see the
  ticket's site; a category is a Lookup of kind TICKET_CATEGORY;
- the SLA due time follows the category and priority (``SlaPolicy``), from creation;
- every change writes ``TicketEvent`` rows (field, old and new value, actor) and is told
  through ``announce`` (e-mail and webhooks, after commit);
- a ticket that is CLOSED or CANCELLED no longer changes (``ticket_closed``).

``actor`` is the person acting; None is the system (``raise_ticket``, the escalation and
SLA tasks), which passes every permission check.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable
from typing import Any

import structlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.core import attachments, tenancy
from apps.core.errors import PermissionDenied
from apps.core.models import Attachment
from apps.people.models import Person, Team
from apps.sites.models import Site
from apps.sites.selectors import sites_for
from apps.tenants.models import Lookup

from . import announce, selectors
from .checks import (
    TicketConflict,
    TicketError,
    as_id,
    clean_assignee,
    clean_category,
    clean_priority,
    clean_text,
    constraint_name,
    default_assignee,
    field_error,
    sla_due,
)
from .history import assignee_label, record, record_change
from .models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    Priority,
    SiteTicketCounter,
    Status,
    Ticket,
    TicketComment,
    TicketEvent,
)

log = structlog.get_logger(__name__)

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 4000  # description, comment, transition note
MAX_DEDUPE_KEY_LENGTH = 200

#: Status -> statuses it may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.OPEN, Status.CANCELLED),
    Status.OPEN: (Status.RESOLVED, Status.ONHOLD, Status.CANCELLED),
    Status.ONHOLD: (Status.OPEN, Status.RESOLVED, Status.CANCELLED),
    Status.RESOLVED: (Status.CLOSED, Status.OPEN),
    Status.CLOSED: (),
    Status.CANCELLED: (),
}

EDITABLE = frozenset({"title", "description", "category_id", "priority"})
_DEDUPE_CONSTRAINTS = {"helpdesk_ticket_active_source", "helpdesk_ticket_active_dedupe"}
_UUID_CONSTRAINT = "helpdesk_ticket_tenant_uuid"


def _atomic() -> Any:
    return transaction.atomic(using=tenancy.db_alias())


def _require(allowed: bool, message: str = "You may not do this to this ticket.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _may_manage(actor: Any, ticket: Ticket) -> bool:
    return actor is None or selectors.may_manage(actor, ticket)


def _not_final(ticket: Ticket) -> None:
    if ticket.status in FINAL_STATUSES:
        raise TicketConflict(
            f"Ticket {ticket.number} is {ticket.status} and no longer changes.",
            code="ticket_closed",
            details={"status": ticket.status},
        )


# --- numbering and creation ---------------------------------------------------------------------


def next_number(site: Site) -> int:
    """The next number at ``site``; the counter row stays locked until the transaction ends,
    so a rolled-back ticket gives its number back and no two tickets share one."""
    counter, _ = SiteTicketCounter.objects.select_for_update().get_or_create(site=site)
    counter.last_number += 1
    counter.save(update_fields=["last_number", "modified_at", "modified_by"])
    return counter.last_number


def _insert(
    *,
    site: Site,
    category: Lookup | None,
    priority: str,
    title: str,
    description: str,
    source: str,
    actor: Any,
    assignee: tuple[Person | None, Team | None],
    source_object: tuple[ContentType | None, int | None] = (None, None),
    dedupe_key: str = "",
    client_uuid: uuid_module.UUID | None = None,
) -> Ticket:
    now = timezone.now()
    seq = next_number(site)
    ticket = Ticket(
        site=site,
        seq=seq,
        number=f"{site.code}#{seq}",
        category=category,
        priority=priority,
        title=title,
        description=description,
        source=source,
        raised_by=actor,
        source_type=source_object[0],
        source_id=source_object[1],
        dedupe_key=dedupe_key,
        assignee_person=assignee[0],
        assignee_team=assignee[1],
        level_since=now,
    )
    if client_uuid is not None:
        ticket.uuid = client_uuid
    ticket.save()
    # The SLA runs from the ticket's own creation time, as when it is recomputed.
    ticket.sla_due_at = sla_due(ticket.category_id, priority, ticket.created_at)
    if ticket.sla_due_at is not None:
        save_ticket(ticket, update_fields=["sla_due_at"])
    record(
        ticket,
        TicketEvent.Kind.CREATED,
        actor,
        field="status",
        new=ticket.status,
        note=f"{ticket.get_source_display()} ticket at {site.code}, priority {priority}.",
    )
    if ticket.assignee_person_id or ticket.assignee_team_id:
        record_change(ticket, actor, "assignee", None, assignee_label(*assignee))
    return ticket


def _source(source: Any, tenant_id: int) -> tuple[ContentType | None, int | None]:
    if source is None:
        return None, None
    if not isinstance(source, models.Model) or not isinstance(source.pk, int) or source.pk < 0:
        raise field_error("invalid_source", "The source must be a saved row with a numeric id.", "source")
    if getattr(source, "tenant_id", tenant_id) != tenant_id:
        raise field_error("invalid_source", "The source belongs to another tenant.", "source")
    return ContentType.objects.get_for_model(source), source.pk


def _active_duplicate(source_object: tuple[ContentType | None, int | None], dedupe_key: str) -> Ticket | None:
    match = models.Q(pk__in=[])
    if source_object[1] is not None:
        match |= models.Q(source_type=source_object[0], source_id=source_object[1])
    if dedupe_key:
        match |= models.Q(dedupe_key=dedupe_key)
    return Ticket.objects.filter(match, status__in=ACTIVE_STATUSES).select_related("site").order_by("pk").first()


def raise_ticket(
    *,
    site: Site,
    category: Lookup | None,
    title: str,
    description: str = "",
    priority: str = "MEDIUM",
    source: models.Model | None = None,
    dedupe_key: str | None = None,
) -> Ticket:
    """Raise a system ticket (source SYSTEM) in the tenant in context, for other features
    (auto-close, alerts, SOS).

    While a ticket with the same ``source`` object or ``dedupe_key`` is active (NEW, OPEN or
    ON HOLD), that ticket is returned and nothing new is written; two callers racing
    still make one ticket. The ticket goes to the site's in-charge, when there is one who
    may see the site, and is announced as ``ticket.created``. Bad input is a
    ``TicketError`` (``unknown_site``, ``invalid_category``, ``invalid_priority``,
    ``title_required``, ``title_too_long``, ``invalid_source``...).
    """
    tenant_id = tenancy.current_tenant().id
    if not isinstance(site, Site) or site.pk is None or site.tenant_id != tenant_id:
        raise field_error("unknown_site", "The site is not a site of this tenant.", "site")
    found_category = clean_category(category)
    priority = clean_priority(priority)
    title = clean_text(title, "title", MAX_TITLE_LENGTH, required=True)
    description = clean_text(description, "description", MAX_TEXT_LENGTH, required=False)
    key = clean_text(dedupe_key, "dedupe_key", MAX_DEDUPE_KEY_LENGTH, required=False)
    source_object = _source(source, tenant_id)
    with _atomic():
        existing = _active_duplicate(source_object, key)
        if existing is not None:
            return existing
        try:
            with _atomic():
                ticket = _insert(
                    site=site,
                    category=found_category,
                    priority=priority,
                    title=title,
                    description=description,
                    source=Ticket.Source.SYSTEM,
                    actor=None,
                    assignee=(default_assignee(site), None),
                    source_object=source_object,
                    dedupe_key=key,
                )
        except IntegrityError as exc:
            if constraint_name(exc) not in _DEDUPE_CONSTRAINTS:
                raise
            # Another caller raised it a moment ago and committed: theirs is the ticket.
            existing = _active_duplicate(source_object, key)
            if existing is None:
                raise
            return existing
        announce.created(ticket, None)
    log.info("helpdesk.ticket_raised", ticket_id=ticket.pk, number=ticket.number, source="system")
    return ticket


def create_ticket(
    actor: Person,
    *,
    site_id: Any,
    title: Any,
    description: Any = "",
    category_id: Any = None,
    priority: Any = Priority.MEDIUM,
    assignee_person_id: Any = None,
    assignee_team_id: Any = None,
    photos: Iterable[Any] = (),
    point: Any = None,
    uuid: uuid_module.UUID | None = None,
) -> tuple[Ticket, bool]:
    """Raise a ticket as ``actor`` (source USER) at one of their sites, with photos.

    Handlers (``tickets.manage``) and workers (``jobs.perform``) may raise tickets; only
    handlers of the site may name an assignee, and without one the site's in-charge gets
    it. Each photo is checked (``apps.core.attachments``, kind PHOTO, at most
    ``TICKET_MAX_PHOTOS_PER_REQUEST``) before anything is written.

    ``uuid`` makes the call idempotent for an offline phone: sent again, the ticket it
    created is returned with ``False`` (and nothing changes); returns ``(ticket, True)``
    when a ticket was created.
    """
    if not (actor.has_capability("tickets.manage") or actor.has_capability("jobs.perform")):
        raise PermissionDenied("You may not raise tickets.")
    if uuid is not None:
        replayed = _replay(actor, uuid)
        if replayed is not None:
            return replayed, False
    site = sites_for(actor).filter(pk=as_id(site_id, "site", "unknown_site")).first()
    if site is None:
        raise field_error("unknown_site", f"Site {site_id} does not exist or is not one of yours.", "site")
    category = clean_category(category_id)
    priority = clean_priority(priority)
    title = clean_text(title, "title", MAX_TITLE_LENGTH, required=True)
    description = clean_text(description, "description", MAX_TEXT_LENGTH, required=False)
    photos = list(photos)
    if len(photos) > settings.TICKET_MAX_PHOTOS_PER_REQUEST:
        raise TicketError(
            f"At most {settings.TICKET_MAX_PHOTOS_PER_REQUEST} photos may come with a ticket.",
            code="too_many_files",
            details={"field": "photos", "max_files": settings.TICKET_MAX_PHOTOS_PER_REQUEST},
        )
    checked = [attachments.check_upload(photo, kind=Attachment.Kind.PHOTO, field="photos") for photo in photos]
    if assignee_person_id is not None or assignee_team_id is not None:
        if not actor.has_capability("tickets.manage"):  # ``site`` is one of the actor's already
            raise PermissionDenied("Only ticket handlers of the site may choose the assignee.")
        assignee = clean_assignee(site, assignee_person_id, assignee_team_id)
    else:
        assignee = (default_assignee(site), None)
    stored: list[Attachment] = []
    try:
        with _atomic():
            try:
                with _atomic():
                    ticket = _insert(
                        site=site,
                        category=category,
                        priority=priority,
                        title=title,
                        description=description,
                        source=Ticket.Source.USER,
                        actor=actor,
                        assignee=assignee,
                        client_uuid=uuid,
                    )
            except IntegrityError as exc:
                if constraint_name(exc) != _UUID_CONSTRAINT or uuid is None:
                    raise
                replayed = _replay(actor, uuid)  # the same phone, sending twice at once
                if replayed is None:
                    raise
                return replayed, False
            for upload in checked:
                attachment = attachments.save_checked(ticket, upload, point=point, by=actor)
                stored.append(attachment)
                record(ticket, TicketEvent.Kind.ATTACHED, actor, attachment=attachment, note=attachment.name)
            announce.created(ticket, actor)
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    log.info("helpdesk.ticket_created", ticket_id=ticket.pk, number=ticket.number, photos=len(stored))
    return ticket, True


def _replay(actor: Person, client_uuid: uuid_module.UUID) -> Ticket | None:
    """The ticket ``actor`` already raised with ``client_uuid``; ``duplicate_uuid`` if
    someone else's ticket has it."""
    existing = selectors.tickets_for(actor).filter(uuid=client_uuid).first()
    if existing is not None and existing.raised_by_id == actor.pk:
        return existing
    if existing is not None or Ticket.objects.filter(uuid=client_uuid).exists():
        raise TicketConflict("Another ticket already has this uuid.", code="duplicate_uuid", details={"field": "uuid"})
    return None


# --- changes ------------------------------------------------------------------------------------


def save_ticket(ticket: Ticket, **kwargs: Any) -> None:
    """Save and read back the sync version the database trigger set."""
    ticket.save(**kwargs)
    ticket.refresh_from_db(fields=["version", "modified_at"])


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("site", "category", "assignee_person", "assignee_team", "raised_by")
        .get(pk=ticket.pk)
    )


def update_ticket(actor: Any, ticket: Ticket, **fields: Any) -> Ticket:
    """Change title, description, category (``category_id``) or priority, as a handler of
    the ticket's site. A new category or priority recomputes the SLA due time from the
    ticket's creation. Each changed field is one history line; nothing changed, nothing told.
    """
    unknown = sorted(set(fields) - EDITABLE)
    if unknown:
        raise TicketError(
            f"These fields cannot be changed here: {', '.join(unknown)}.",
            code="unknown_fields",
            details={"fields": unknown},
        )
    with _atomic():
        ticket = _locked(ticket)
        _require(_may_manage(actor, ticket))
        _not_final(ticket)
        changes: list[dict[str, Any]] = []
        if "title" in fields:
            title = clean_text(fields["title"], "title", MAX_TITLE_LENGTH, required=True)
            if title != ticket.title:
                changes.append(record_change(ticket, actor, "title", ticket.title, title))
                ticket.title = title
        if "description" in fields:
            text = clean_text(fields["description"], "description", MAX_TEXT_LENGTH, required=False)
            if text != ticket.description:
                changes.append(record_change(ticket, actor, "description", ticket.description, text))
                ticket.description = text
        if "category_id" in fields:
            category = clean_category(fields["category_id"])
            if getattr(category, "pk", None) != ticket.category_id:
                changes.append(record_change(ticket, actor, "category", ticket.category, category))
                ticket.category = category
        if "priority" in fields:
            priority = clean_priority(fields["priority"])
            if priority != ticket.priority:
                changes.append(record_change(ticket, actor, "priority", ticket.priority, priority))
                ticket.priority = priority
        if not changes:
            return ticket
        if {"category", "priority"} & {change["field"] for change in changes}:
            due = sla_due(ticket.category_id, ticket.priority, ticket.created_at)
            if due != ticket.sla_due_at:
                changes.append(record_change(ticket, actor, "sla_due_at", ticket.sla_due_at, due))
                ticket.sla_due_at = due
        save_ticket(ticket)
        announce.updated(ticket, actor, changes)
    return ticket


def transition_ticket(actor: Any, ticket: Ticket, to: Any, *, note: Any = "") -> Ticket:
    """Move the ticket to status ``to`` along ``TRANSITIONS``, as a handler of its site.

    Refused with ``invalid_transition`` (409, ``details.from``/``to``/``allowed``)
    otherwise. RESOLVED stamps ``resolved_at``; CLOSED and CANCELLED ``closed_at``; back to
    OPEN (from ON HOLD or RESOLVED) restarts the wait at the current escalation level.
    """
    if to not in Status.values:
        raise TicketError(
            f"{to!r} is not a status.", code="invalid_status", details={"field": "to", "choices": list(Status.values)}
        )
    note = clean_text(note, "note", MAX_TEXT_LENGTH, required=False)
    with _atomic():
        ticket = _locked(ticket)
        _require(_may_manage(actor, ticket))
        previous = ticket.status
        allowed = TRANSITIONS[previous]
        if to not in allowed:
            raise TicketConflict(
                f"A ticket cannot go from {previous} to {to}.",
                code="invalid_transition",
                details={"from": previous, "to": to, "allowed": list(allowed)},
            )
        now = timezone.now()
        ticket.status = to
        if to == Status.RESOLVED:
            ticket.resolved_at = now
        elif to in FINAL_STATUSES:
            ticket.closed_at = now
        elif to == Status.OPEN and previous in (Status.ONHOLD, Status.RESOLVED):
            ticket.resolved_at = None
            ticket.level_since = now
        try:
            with _atomic():
                save_ticket(ticket)
        except IntegrityError as exc:
            if constraint_name(exc) not in _DEDUPE_CONSTRAINTS:
                raise
            other = _active_duplicate((ticket.source_type, ticket.source_id), ticket.dedupe_key)
            raise TicketConflict(
                "Another active ticket is open for the same problem.",
                code="duplicate_active_ticket",
                details={"ticket": getattr(other, "number", None)},
            ) from exc
        changes = [record_change(ticket, actor, "status", previous, to, note=note)]
        announce.updated(ticket, actor, changes)
    return ticket


def assign_ticket(actor: Any, ticket: Ticket, *, person: Any = None, team: Any = None) -> Ticket:
    """Give the ticket to a person who may see its site or to a team (both None unassigns),
    as a handler of its site. The new assignee is e-mailed (``ticket.updated``)."""
    with _atomic():
        ticket = _locked(ticket)
        _require(_may_manage(actor, ticket))
        _not_final(ticket)
        new_person, new_team = clean_assignee(ticket.site, person, team)
        before = assignee_label(ticket.assignee_person, ticket.assignee_team)
        after = assignee_label(new_person, new_team)
        if before == after:
            return ticket
        ticket.assignee_person, ticket.assignee_team = new_person, new_team
        save_ticket(ticket)
        changes = [record_change(ticket, actor, "assignee", before, after)]
        announce.updated(ticket, actor, changes)
    return ticket


def add_comment(actor: Any, ticket: Ticket, body: Any) -> TicketComment:
    """Comment on a ticket (handlers of its site, or the worker who raised it or has it);
    at most ``MAX_TEXT_LENGTH`` characters (``body_too_long``)."""
    body = clean_text(body, "body", MAX_TEXT_LENGTH, required=True)
    with _atomic():
        ticket = _locked(ticket)
        _require(actor is None or selectors.may_contribute(actor, ticket))
        _not_final(ticket)
        if TicketComment.objects.filter(ticket=ticket).count() >= settings.TICKET_MAX_COMMENTS:
            raise TicketConflict(
                f"A ticket takes at most {settings.TICKET_MAX_COMMENTS} comments.",
                code="too_many_comments",
                details={"max": settings.TICKET_MAX_COMMENTS},
            )
        comment = TicketComment.objects.create(ticket=ticket, author=actor, body=body)
        record(ticket, TicketEvent.Kind.COMMENTED, actor, comment=comment)
        announce.comment_added(ticket, comment, actor)
    return comment


def attach_file(
    actor: Any, ticket: Ticket, upload: Any, *, kind: str = Attachment.Kind.PHOTO, point: Any = None
) -> Attachment:
    """Attach a file to a ticket (who may comment may attach); checked by
    ``apps.core.attachments`` for ``kind``, at most ``TICKET_MAX_ATTACHMENTS`` a ticket."""
    checked = attachments.check_upload(upload, kind=kind, field="file")
    with _atomic():
        ticket = _locked(ticket)
        _require(actor is None or selectors.may_contribute(actor, ticket))
        _not_final(ticket)
        if attachments.count_of(ticket) >= settings.TICKET_MAX_ATTACHMENTS:
            raise TicketConflict(
                f"A ticket takes at most {settings.TICKET_MAX_ATTACHMENTS} files.",
                code="too_many_files",
                details={"field": "file", "max_files": settings.TICKET_MAX_ATTACHMENTS},
            )
        attachment = attachments.save_checked(ticket, checked, point=point, by=actor)
        try:
            record(ticket, TicketEvent.Kind.ATTACHED, actor, attachment=attachment, note=attachment.name)
            change = {"field": "attachments", "from": None, "to": announce.attachment_json(attachment)}
            announce.updated(ticket, actor, [change])
        except BaseException:
            attachment.file.storage.delete(attachment.file.name)
            raise
    return attachment


# Escalation matrix and SLA policies have their own module; this is their one import path.
from .rules import create_escalation_rule as create_escalation_rule  # noqa: E402
from .rules import create_sla_policy as create_sla_policy  # noqa: E402
from .rules import delete_escalation_rule as delete_escalation_rule  # noqa: E402
from .rules import delete_sla_policy as delete_sla_policy  # noqa: E402
from .rules import update_escalation_rule as update_escalation_rule  # noqa: E402
from .rules import update_sla_policy as update_sla_policy  # noqa: E402
