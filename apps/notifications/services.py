"""Telling people and systems: e-mail notifications, preferences, webhooks.

``notify`` and ``emit`` are the doors other apps use (the contract of the alerts and
tickets issue). Both run in the caller's tenant and transaction: they write the rows to
send (``NotificationLog``, ``WebhookDelivery``) and queue the send tasks on commit, so an
alert or ticket that rolls back tells nobody.

Webhook writes are for tenant admins (the adapters check ``admin.manage``): URLs are
checked against SSRF (``netguard``), subscriptions against the known events, and the
signing secret is returned only by ``create_webhook`` and ``rotate_secret``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Model
from django.utils import timezone

from apps.core import tenancy
from apps.core.errors import DomainError
from apps.people.models import Person, Team, TeamMembership

from . import dispatch, events, netguard, rendering, signing
from .models import NotificationLog, NotificationPreference, Webhook, WebhookDelivery

log = structlog.get_logger(__name__)

MAX_PREFERENCES = 50
MAX_WEBHOOK_EVENTS = 20
MAX_DESCRIPTION = 500
WEBHOOK_FIELDS = frozenset({"url", "events", "active", "description"})
# Serialises webhook creation per tenant (the per-tenant limit); any constant distinct from other locks.
_WEBHOOK_LOCK = 0x5748_4B53


def _atomic() -> Any:
    return transaction.atomic(using=tenancy.db_alias())


# --- E-mail notifications -------------------------------------------------------------------


def _ids(values: Iterable[Model | int], model: type[Model], what: str) -> set[int]:
    ids: set[int] = set()
    for value in values:
        if isinstance(value, model):
            ids.add(int(value.pk))
        elif isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        else:
            raise TypeError(f"{what} must be {model.__name__} objects or ids, got {type(value).__name__}.")
    return ids


def muted_people(event: str, person_ids: Iterable[int]) -> set[int]:
    """Who among ``person_ids`` muted ``event``: for each person, the most specific of their
    preferences that matches the event decides."""
    decided: dict[int, tuple[tuple[int, int], bool]] = {}
    rows = NotificationPreference.objects.filter(person_id__in=list(person_ids)).values_list(
        "person_id", "event", "muted"
    )
    for person_id, pattern, muted in rows:
        if not events.matches(pattern, event):
            continue
        rank = events.specificity(pattern)
        if person_id not in decided or rank > decided[person_id][0]:
            decided[person_id] = (rank, muted)
    return {person_id for person_id, (_, muted) in decided.items() if muted}


def notify(
    event: str,
    *,
    people: Iterable[Person | int] = (),
    teams: Iterable[Team | int] = (),
    context: dict[str, Any],
    site_id: int | None = None,
) -> None:
    """E-mail ``event`` to the people and the members of the teams (the tenant in context).

    Renders the event's templates with ``context`` (plain JSON values) once, records one
    ``NotificationLog`` per recipient, and queues one send task per recipient when the
    caller's transaction commits. People who are inactive, have no e-mail address or
    muted the event get a SKIPPED row saying why, and no e-mail; ids of another tenant
    or of nobody are ignored. Inactive teams count as empty.

    Raises ``ValueError`` for an unknown event or a context JSON cannot carry, and
    ``DomainError`` ``payload_too_large`` for a context over 256 KiB.
    """
    events.check_event(event)
    tenancy.current_tenant()
    rendered = rendering.render(event, context)
    person_ids = _ids(people, Person, "people")
    team_ids = _ids(teams, Team, "teams")
    if team_ids:
        person_ids |= set(
            TeamMembership.objects.filter(team_id__in=team_ids, team__is_active=True).values_list(
                "person_id", flat=True
            )
        )
    if not person_ids:
        log.warning("notifications.no_recipients", notification_event=event, site_id=site_id)
        return
    with _atomic():
        site = site_id if site_id is not None and _site_exists(site_id) else None
        muted = muted_people(event, person_ids)
        now = timezone.now()
        rows: list[NotificationLog] = []
        for person in Person.objects.filter(pk__in=person_ids).order_by("pk").only("pk", "email", "is_active"):
            reason = ""
            if not person.is_active:
                reason = "Not sent: the person is inactive."
            elif not person.email:
                reason = "Not sent: the person has no e-mail address."
            elif person.pk in muted:
                reason = "Not sent: the person muted this event."
            rows.append(
                NotificationLog(
                    event=event,
                    person=person,
                    email=person.email,
                    site_id=site,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    status=NotificationLog.Status.SKIPPED if reason else NotificationLog.Status.PENDING,
                    last_error=reason,
                    next_attempt_at=None if reason else now,
                )
            )
        NotificationLog.objects.bulk_create(rows)
        pending = [row for row in rows if row.status == NotificationLog.Status.PENDING]
        dispatch.send_emails_on_commit(pending)
    log.info(
        "notifications.notify",
        notification_event=event,
        queued=len(pending),
        skipped=len(rows) - len(pending),
        site_id=site,
    )


def _site_exists(site_id: int) -> bool:
    from apps.sites.models import Site

    return Site.objects.filter(pk=site_id).exists()


# --- Preferences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    event: str
    muted: bool


def _preference(value: Any) -> Preference:
    if isinstance(value, Preference):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("muted", True), bool):
        raise DomainError(
            'Each preference is {"event": <name or prefix>, "muted": true|false}.',
            code="invalid_preference",
            details={"field": "preferences"},
        )
    return Preference(event=value.get("event"), muted=value.get("muted", True))  # type: ignore[arg-type]


def set_preferences(person: Person, preferences: Iterable[Preference | dict[str, Any]]) -> list[NotificationPreference]:
    """Replace ``person``'s preferences with ``preferences`` (event name or prefix, muted).

    Unknown events are refused with ``unknown_event``, an event given twice with
    ``duplicate_event``; nothing changes then.
    """
    wanted = [_preference(value) for value in preferences]
    cleaned = events.clean_patterns([p.event for p in wanted], field="preferences", max_items=MAX_PREFERENCES)
    patterns = [preference.event.strip() for preference in wanted]
    if len(cleaned) != len(patterns):
        repeated = sorted({p for p in patterns if patterns.count(p) > 1})
        raise DomainError(
            f"Listed more than once: {', '.join(repeated)}.",
            code="duplicate_event",
            details={"field": "preferences", "events": repeated},
        )
    with _atomic():
        # One writer of a person's preferences at a time: two replacements do not interleave.
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
        NotificationPreference.objects.filter(person=person).exclude(event__in=cleaned).delete()
        rows = []
        for preference in wanted:
            row, _ = NotificationPreference.objects.update_or_create(
                person=person, event=preference.event.strip(), defaults={"muted": preference.muted}
            )
            rows.append(row)
    return sorted(rows, key=lambda row: row.event)


def set_preference(
    person: Person, event: str, muted: bool, *, replacing: NotificationPreference | None = None
) -> NotificationPreference:
    """Set one preference of ``person``, keeping the others (the admin's form); ``replacing``
    is the row being edited, removed when it named another person or event."""
    (cleaned,) = events.clean_patterns([event], field="event", max_items=1)
    with _atomic():
        if replacing is not None and replacing.pk is not None:
            NotificationPreference.objects.filter(pk=replacing.pk).exclude(person=person, event=cleaned).delete()
        row, _ = NotificationPreference.objects.update_or_create(
            person=person, event=cleaned, defaults={"muted": muted}
        )
    return row


def remove_preference(preference: NotificationPreference) -> None:
    """Forget one preference: the person is notified of that event again (unless a broader one mutes it)."""
    with _atomic():
        NotificationPreference.objects.filter(pk=preference.pk).delete()


# --- Webhooks -------------------------------------------------------------------------------


def webhooks_per_tenant() -> int:
    return settings.WEBHOOKS_PER_TENANT_MAX


def _clean_webhook(fields: dict[str, Any], current: Webhook | None) -> dict[str, Any]:
    unknown = sorted(set(fields) - WEBHOOK_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(unknown)}.", code="unknown_fields", details={"fields": unknown})
    values = {name: fields[name] if name in fields else getattr(current, name, None) for name in WEBHOOK_FIELDS}
    if values["active"] is None:
        values["active"] = True
    elif not isinstance(values["active"], bool):
        raise DomainError("active is true or false.", code="invalid", details={"field": "active"})
    description = values["description"] or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise DomainError(
            f"The description is text of at most {MAX_DESCRIPTION} characters.",
            code="invalid",
            details={"field": "description"},
        )
    values["description"] = description
    subscribed = values["events"]
    if not isinstance(subscribed, list | tuple) or not subscribed:
        raise DomainError(
            "Subscribe to at least one event, e.g. alert.* or ticket.escalated.",
            code="no_events",
            details={"field": "events", "events": list(events.EVENTS), "families": events.families()},
        )
    values["events"] = events.clean_patterns(subscribed, field="events", max_items=MAX_WEBHOOK_EVENTS)
    netguard.check_registration(values["url"])
    return values


def create_webhook(actor: Any, **fields: Any) -> tuple[Webhook, str]:
    """Register a webhook of the tenant in context; return it with its new signing secret.

    ``fields``: url, events, active (true), description. Whether the URL may point into a
    private network is the operator's decision (``netguard``), not a field.
    The secret is returned here and by ``rotate_secret`` only.
    """
    values = _clean_webhook(fields, None)
    with _atomic():
        with connections[tenancy.db_alias()].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_WEBHOOK_LOCK, tenancy.current_tenant().id])
        limit = webhooks_per_tenant()
        if Webhook.objects.count() >= limit:
            raise DomainError(f"A company can register at most {limit} webhooks.", code="too_many_webhooks", status=409)
        secret = signing.generate_secret()
        webhook = Webhook.objects.create(secret=secret, **values)
    log.info("notifications.webhook_created", webhook_id=webhook.pk, by=getattr(actor, "pk", None))
    return webhook, secret


def update_webhook(actor: Any, webhook: Webhook, **fields: Any) -> Webhook:
    """Change the given fields; the URL is checked again against the operator's policy as it is now."""
    with _atomic():
        locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
        values = _clean_webhook(fields, locked)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        locked.refresh_from_db(fields=["version"])
    log.info("notifications.webhook_updated", webhook_id=locked.pk, by=getattr(actor, "pk", None))
    return locked


def rotate_secret(actor: Any, webhook: Webhook) -> tuple[Webhook, str]:
    """Replace the signing secret at once; deliveries from now on, retries included, use the new one."""
    with _atomic():
        locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
        secret = signing.generate_secret()
        locked.secret = secret
        locked.save(update_fields=["secret", "modified_at", "modified_by"])
        locked.refresh_from_db(fields=["version"])
    log.info("notifications.webhook_secret_rotated", webhook_id=locked.pk, by=getattr(actor, "pk", None))
    return locked, secret


def delete_webhook(actor: Any, webhook: Webhook) -> None:
    """Delete the webhook, its secret and its delivery history; queued deliveries are dropped."""
    with _atomic():
        Webhook.objects.filter(pk=webhook.pk).delete()
    log.info("notifications.webhook_deleted", webhook_id=webhook.pk, by=getattr(actor, "pk", None))


def _queue_delivery(webhook: Webhook, event: str, payload: dict[str, Any], **extra: Any) -> WebhookDelivery:
    if not webhook.active:
        raise DomainError(
            "The webhook is inactive; activate it first.", code="webhook_inactive", status=409, details={}
        )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=event, payload=payload, next_attempt_at=timezone.now(), **extra
    )
    dispatch.deliver_on_commit([delivery])
    return delivery


def ping_webhook(actor: Any, webhook: Webhook) -> WebhookDelivery:
    """Queue a ``ping`` delivery to this webhook only, whatever it subscribed to."""
    payload = {"webhook": webhook.pk, "message": "Test event from Youtility.", "sent_by": getattr(actor, "login", "")}
    with _atomic():
        return _queue_delivery(webhook, events.PING, payload)


def replay_delivery(actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a new delivery (new id) of the same event and payload to the same webhook."""
    with _atomic():
        webhook = Webhook.objects.get(pk=delivery.webhook_id)
        replay = _queue_delivery(webhook, delivery.event, delivery.payload, replay_of=delivery)
    log.info("notifications.delivery_replayed", delivery_id=delivery.pk, replay_id=replay.pk)
    return replay


def emit(event: str, payload: dict[str, Any]) -> None:
    """Queue a signed delivery of ``event`` to every active webhook of the tenant in context
    that subscribed to it (exactly or by its family, ``alert.*``); sent once the caller commits.

    Raises ``ValueError`` for an unknown event or a payload JSON cannot carry, and
    ``DomainError`` ``payload_too_large`` over 256 KiB.
    """
    events.check_event(event)
    tenancy.current_tenant()
    plain = rendering.plain_json(payload, what="webhook payload")
    family = f"{event.split('.', 1)[0]}.*"
    with _atomic():
        hooks = list(Webhook.objects.filter(active=True, events__overlap=[event, family]).only("pk"))
        now = timezone.now()
        rows = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(webhook=hook, event=event, payload=plain, next_attempt_at=now) for hook in hooks]
        )
        dispatch.deliver_on_commit(rows)
    if rows:
        log.info("notifications.emit", notification_event=event, deliveries=len(rows))
