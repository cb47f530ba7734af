"""Writes of alerts and maintenance windows: validate, act in one transaction, announce on commit.

``raise_alert`` is the one door for every producer (auto-close, SOS, devices, tickets).
The same dedupe key while the alert is open counts a repeat on that row; two workers
raising it at once still make one row (the partial unique constraint, a savepoint and a
retry). An alert raised at a site under maintenance is recorded as SUPPRESSED and kept
off the dashboard; raised again after the window, it comes back as NEW.

People act on alerts with ``acknowledge_alert``, ``assign_alert``, ``resolve_alert`` and
``comment_alert``; each locks the row, checks the transition (``invalid_transition``
otherwise), writes the timeline entry and announces the change. Adapters fetch the
alert with ``selectors.get_alert_for`` (tenant and site scope) and check ``noc.manage``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.core import context, tenancy
from apps.core.errors import DomainError
from apps.people import selectors as people_selectors
from apps.sites.models import Site
from apps.sites.selectors import sees_all_sites, sites_for

from . import announce
from .escalation import escalation_minutes, next_due
from .models import OPEN_DEDUPE_CONSTRAINT, Alert, AlertEvent, MaintenanceWindow
from .selectors import parse_pk

MAX_NOTE_LENGTH = 2000
MAX_TITLE_LENGTH = 200
MAX_DEDUPE_KEY_LENGTH = 200
MAX_DETAILS_BYTES = 16_000
MAX_REASON_LENGTH = 500
MAX_WINDOW_DAYS = 31
#: A repeat is written to the timeline at most this often (the count is always exact),
#: so a device repeating itself every few seconds does not bury the people's actions.
REPEAT_EVENT_INTERVAL = timedelta(minutes=1)
RAISE_ATTEMPTS = 3

AlertStatus = Alert.Status

#: Action -> statuses it may start from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "acknowledge": (AlertStatus.NEW, AlertStatus.ESCALATED, AlertStatus.SUPPRESSED),
    "assign": (
        AlertStatus.NEW,
        AlertStatus.ESCALATED,
        AlertStatus.ACKNOWLEDGED,
        AlertStatus.ASSIGNED,
        AlertStatus.SUPPRESSED,
    ),
    "resolve": Alert.OPEN_STATUSES,
}


class AlertError(DomainError):
    code = "invalid_alert"
    message = "The alert is not valid."


class AlertConflict(AlertError):
    status = 409


def _field_error(code: str, message: str, field: str) -> AlertError:
    return AlertError(message, code=code, details={"field": field})


def _text(value: Any, field: str, limit: int, *, required: bool) -> str:
    """A trimmed text of at most ``limit`` characters; ``<field>_required``,
    ``<field>_too_long`` or ``invalid_<field>`` otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _field_error(f"invalid_{field}", f"{field} must be text.", field)
    value = value.strip()
    if "\x00" in value:
        raise _field_error(f"invalid_{field}", f"{field} may not contain NUL characters.", field)
    if required and not value:
        raise _field_error(f"{field}_required", f"A {field} is required.", field)
    if len(value) > limit:
        raise AlertError(
            f"The {field} is {len(value)} characters long; at most {limit} are allowed.",
            code=f"{field}_too_long",
            details={"field": field, "max_length": limit, "length": len(value)},
        )
    return value


def _choice(value: Any, choices: type[models.TextChoices], field: str) -> str:
    if value not in choices.values:
        raise AlertError(
            f"{value!r} is not a valid {field}.",
            code=f"invalid_{field}",
            details={"field": field, "choices": list(choices.values)},
        )
    return str(value)


def _details(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise _field_error("invalid_details", "details must be an object.", "details")
    try:
        text = json.dumps(details, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise _field_error("invalid_details", "details must be JSON-serialisable.", "details") from exc
    if "\\u0000" in text:
        raise _field_error("invalid_details", "details may not contain NUL characters.", "details")
    if len(text.encode()) > MAX_DETAILS_BYTES:
        raise AlertError(
            f"details take more than {MAX_DETAILS_BYTES} bytes.",
            code="details_too_large",
            details={"field": "details", "max_bytes": MAX_DETAILS_BYTES},
        )
    plain: dict[str, Any] = json.loads(text)
    return plain


def _site(site: Any, tenant_id: int) -> Site | None:
    if site is None:
        return None
    if not isinstance(site, Site) or site.pk is None or site.tenant_id != tenant_id:
        raise _field_error("unknown_site", "The site is not a site of this tenant.", "site")
    return site


def _source(source: Any, tenant_id: int) -> tuple[ContentType | None, int | None]:
    if source is None:
        return None, None
    if not isinstance(source, models.Model) or not isinstance(source.pk, int) or source.pk < 0:
        raise _field_error("invalid_source", "The source must be a saved object with a numeric id.", "source")
    if getattr(source, "tenant_id", tenant_id) != tenant_id:
        raise _field_error("invalid_source", "The source belongs to another tenant.", "source")
    # The content type row of the tenant's own database, which the alert's foreign key points at.
    return ContentType.objects.db_manager(tenancy.db_alias()).get_for_model(source), source.pk


def _note(note: Any, *, required: bool = False) -> str:
    return _text(note, "note", MAX_NOTE_LENGTH, required=required)


def _event(
    alert: Alert, kind: str, *, at: datetime, actor: Any = None, previous: str = "", **fields: Any
) -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert,
        kind=kind,
        actor_id=getattr(actor, "pk", actor),
        at=at,
        from_status=previous,
        to_status=alert.status,
        **fields,
    )


def _locked(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("site", "acknowledged_by", "assigned_to", "resolved_by", "source_type")
        .get(pk=alert.pk)
    )


def active_window(site: Site | None, at: datetime) -> MaintenanceWindow | None:
    """The maintenance window of ``site`` in force at ``at`` (the one ending last), if any."""
    if site is None:
        return None
    windows = MaintenanceWindow.objects.filter(site_id=site.pk, starts_at__lte=at, ends_at__gt=at)
    return windows.order_by("-ends_at", "pk").first()


# --- raising -----------------------------------------------------------------------------


def raise_alert(
    *,
    type: str,
    severity: str,
    dedupe_key: str,
    title: str,
    site: Site | None = None,
    details: dict[str, Any] | None = None,
    source: models.Model | None = None,
) -> Alert:
    """Raise an alert in the tenant in context, or count a repeat of the open one with the
    same ``dedupe_key``.

    A repeat bumps ``occurrences`` and ``last_seen_at``, replaces ``details`` when given,
    and raises the severity if the new one is higher (never lowers it). Bad input is an
    ``AlertError`` (``invalid_type``, ``invalid_severity``, ``dedupe_key_required``,
    ``title_too_long``, ``details_too_large``, ``unknown_site``, ``invalid_source``...)
    and nothing is written.
    """
    tenant_id = tenancy.current_tenant().id
    fields: dict[str, Any] = {
        "type": _choice(type, Alert.Type, "type"),
        "severity": _choice(severity, Alert.Severity, "severity"),
        "dedupe_key": _text(dedupe_key, "dedupe_key", MAX_DEDUPE_KEY_LENGTH, required=True),
        "title": _text(title, "title", MAX_TITLE_LENGTH, required=True),
        "site": _site(site, tenant_id),
        "details": _details(details),
    }
    fields["source_type"], fields["source_id"] = _source(source, tenant_id)
    alias = tenancy.db_alias()
    with transaction.atomic(using=alias):
        minutes = escalation_minutes()
        for _attempt in range(RAISE_ATTEMPTS):
            now = timezone.now()
            existing = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("site", "acknowledged_by", "assigned_to", "resolved_by", "source_type")
                .filter(dedupe_key=fields["dedupe_key"], status__in=Alert.OPEN_STATUSES)
                .first()
            )
            if existing is not None:
                return _repeat(existing, fields, now, minutes)
            try:
                # A savepoint: losing the race to a concurrent raise leaves this transaction usable.
                with transaction.atomic(using=alias):
                    alert = _create(fields, now, minutes)
            except IntegrityError as exc:
                constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
                if constraint != OPEN_DEDUPE_CONSTRAINT:
                    raise
                continue  # the other raise committed first: count a repeat on its row
            announce.created(alert)
            return alert
    raise AlertConflict(
        "The alert is being changed by others; try again.", code="alert_busy", details={"field": "dedupe_key"}
    )


def _create(fields: dict[str, Any], now: datetime, minutes: dict[str, int | None]) -> Alert:
    window = active_window(fields["site"], now)
    status = AlertStatus.SUPPRESSED if window is not None else AlertStatus.NEW
    alert = Alert(**fields, status=status, first_seen_at=now, last_seen_at=now, occurrences=1)
    alert.escalate_at = None if window is not None else next_due(alert.severity, 0, now, minutes)
    alert.save()
    actor = context.current_actor_id()
    if window is not None:
        _event(
            alert,
            AlertEvent.Kind.SUPPRESSED,
            at=now,
            actor=actor,
            note=f"Raised during maintenance: {window.reason}",
            data={"maintenance_window": window.pk},
        )
    else:
        _event(alert, AlertEvent.Kind.CREATED, at=now, actor=actor)
    return alert


def _repeat(alert: Alert, fields: dict[str, Any], now: datetime, minutes: dict[str, int | None]) -> Alert:
    previous_status, previous_severity = alert.status, alert.severity
    alert.occurrences += 1
    alert.last_seen_at = max(now, alert.first_seen_at)
    if fields["details"]:
        alert.details = fields["details"]
    rank = Alert.SEVERITY_RANK
    if rank[fields["severity"]] > rank[alert.severity]:
        alert.severity = fields["severity"]
        if alert.status in Alert.UNACKNOWLEDGED_STATUSES:
            sooner = next_due(alert.severity, alert.escalation_level, now, minutes)
            if sooner is not None and (alert.escalate_at is None or sooner < alert.escalate_at):
                alert.escalate_at = sooner
    revived = alert.status == AlertStatus.SUPPRESSED and active_window(alert.site, now) is None
    if revived:
        alert.status = AlertStatus.NEW
        alert.escalate_at = next_due(alert.severity, alert.escalation_level, now, minutes)
    alert.save()
    data: dict[str, Any] = {"occurrences": alert.occurrences}
    if alert.severity != previous_severity:
        data["severity"] = {"from": previous_severity, "to": alert.severity}
    recently = AlertEvent.objects.filter(
        alert=alert, kind=AlertEvent.Kind.REPEATED, at__gt=now - REPEAT_EVENT_INTERVAL
    ).exists()
    if revived or alert.severity != previous_severity or not recently:
        note = "Raised again after the maintenance window." if revived else ""
        _event(
            alert,
            AlertEvent.Kind.REPEATED,
            at=now,
            actor=context.current_actor_id(),
            previous=previous_status,
            note=note,
            data=data,
        )
    if revived:
        announce.revived(alert)
    else:
        announce.updated(alert)
    return alert


# --- people acting on alerts --------------------------------------------------------------


PAST_TENSE = {"acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved"}


def _check_transition(alert: Alert, action: str) -> None:
    if alert.status not in TRANSITIONS[action]:
        raise AlertConflict(
            f"An alert that is {alert.status} cannot be {PAST_TENSE[action]}.",
            code="invalid_transition",
            details={"status": alert.status, "action": action},
        )


def acknowledge_alert(actor: Any, alert: Alert, *, note: str = "") -> Alert:
    """Say someone is on it: stops the escalation clock."""
    note = _note(note)
    with transaction.atomic(using=tenancy.db_alias()):
        alert = _locked(alert)
        _check_transition(alert, "acknowledge")
        now, previous = timezone.now(), alert.status
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = now, actor
        alert.escalate_at = None
        alert.save()
        _event(alert, AlertEvent.Kind.ACKNOWLEDGED, at=now, actor=actor, previous=previous, note=note)
        announce.updated(alert)
        return alert


# Who may be given an alert: operators, supervisors and guards in the field.
RESPONDER_CAPABILITIES = ("noc.view", "noc.manage", "jobs.perform", "tickets.manage")


def assign_alert(actor: Any, alert: Alert, *, assignee_id: Any, note: str = "") -> Alert:
    """Hand the alert to a person of the tenant who may see its site (and whom ``actor``
    may see); acknowledges it if nobody had. ``unknown_assignee`` when there is no such
    active person, ``assignee_cannot_respond`` for a client's viewer, ``assignee_cannot_see_site``
    when they may not see the alert's site."""
    note = _note(note)
    pk = parse_pk(assignee_id) if not isinstance(assignee_id, bool) else None
    assignee = people_selectors.get_person_for(actor, pk) if pk is not None else None
    if assignee is None or not assignee.is_active:
        raise AlertError(
            f"No active person {assignee_id} you may assign to.", code="unknown_assignee", details={"field": "assignee"}
        )
    if not assignee.has_any_capability(RESPONDER_CAPABILITIES):
        # A client's viewer may see the site but does not respond to its alarms.
        raise AlertError(
            f"Person {assignee.pk} does not respond to alerts (no operations or field role).",
            code="assignee_cannot_respond",
            details={"field": "assignee"},
        )
    with transaction.atomic(using=tenancy.db_alias()):
        alert = _locked(alert)
        _check_transition(alert, "assign")
        if alert.status == AlertStatus.ASSIGNED and alert.assigned_to_id == assignee.pk:
            raise AlertConflict(
                f"The alert is already assigned to person {assignee.pk}.",
                code="invalid_transition",
                details={"status": alert.status, "action": "assign"},
            )
        if alert.site_id is not None:
            may_see = sites_for(assignee).filter(pk=alert.site_id).exists()
        else:
            may_see = sees_all_sites(assignee)  # an alert without a site is seen by admins only
        if not may_see:
            raise AlertError(
                f"Person {assignee.pk} may not see the alert's site.",
                code="assignee_cannot_see_site",
                details={"field": "assignee"},
            )
        now, previous = timezone.now(), alert.status
        alert.status = AlertStatus.ASSIGNED
        alert.assigned_to, alert.assigned_at = assignee, now
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, actor
        alert.escalate_at = None
        alert.save()
        _event(
            alert,
            AlertEvent.Kind.ASSIGNED,
            at=now,
            actor=actor,
            previous=previous,
            note=note,
            data={"assigned_to": {"id": assignee.pk, "name": assignee.name}},
        )
        announce.updated(alert)
        return alert


def resolve_alert(actor: Any, alert: Alert, *, note: str) -> Alert:
    """Close the alert with a note saying what was found or done (required)."""
    note = _note(note, required=True)
    with transaction.atomic(using=tenancy.db_alias()):
        alert = _locked(alert)
        _check_transition(alert, "resolve")
        now, previous = timezone.now(), alert.status
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at, alert.resolved_by, alert.resolution_note = now, actor, note
        alert.escalate_at = None
        alert.save()
        _event(alert, AlertEvent.Kind.RESOLVED, at=now, actor=actor, previous=previous, note=note)
        announce.updated(alert)
        return alert


def comment_alert(actor: Any, alert: Alert, *, note: str) -> Alert:
    """Add a note to the timeline, in any status (a resolved alert too)."""
    note = _note(note, required=True)
    with transaction.atomic(using=tenancy.db_alias()):
        alert = _locked(alert)
        _event(alert, AlertEvent.Kind.COMMENTED, at=timezone.now(), actor=actor, previous=alert.status, note=note)
        Alert.objects.filter(pk=alert.pk).update(modified_at=timezone.now(), modified_by=actor)
        alert.refresh_from_db(fields=["version", "modified_at"])
        announce.updated(alert)
        return alert


# --- maintenance windows ------------------------------------------------------------------


def _moment(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise _field_error(f"invalid_{field}", f"{field} must be a date and time with a time zone.", field)
    return value


def _window_site(actor: Any, site_id: Any) -> Site:
    pk = parse_pk(site_id) if not isinstance(site_id, bool) else None
    site = sites_for(actor).filter(pk=pk).first() if pk is not None else None
    if site is None:
        raise _field_error("unknown_site", f"Site {site_id} does not exist or is not one of yours.", "site")
    return site


def _apply_window(actor: Any, window: MaintenanceWindow, fields: dict[str, Any]) -> MaintenanceWindow:
    unknown = sorted(set(fields) - {"site_id", "starts_at", "ends_at", "reason"})
    if unknown:
        raise AlertError(f"Unknown fields: {', '.join(unknown)}.", code="unknown_fields", details={"fields": unknown})
    if "site_id" in fields:
        window.site = _window_site(actor, fields["site_id"])
    if "starts_at" in fields:
        window.starts_at = _moment(fields["starts_at"], "starts_at")
    if "ends_at" in fields:
        window.ends_at = _moment(fields["ends_at"], "ends_at")
    if "reason" in fields:
        window.reason = _text(fields["reason"], "reason", MAX_REASON_LENGTH, required=True)
    if window.ends_at <= window.starts_at:
        raise _field_error("invalid_window", "A maintenance window must end after it starts.", "ends_at")
    if window.ends_at - window.starts_at > timedelta(days=MAX_WINDOW_DAYS):
        raise AlertError(
            f"A maintenance window lasts at most {MAX_WINDOW_DAYS} days.",
            code="window_too_long",
            details={"field": "ends_at", "max_days": MAX_WINDOW_DAYS},
        )
    window.save()
    return window


def create_maintenance_window(actor: Any, **fields: Any) -> MaintenanceWindow:
    """Silence alerts at one of ``actor``'s sites between ``starts_at`` and ``ends_at``
    (at most ``MAX_WINDOW_DAYS``), for ``reason``. Alerts already open are not touched."""
    for required in ("site_id", "starts_at", "ends_at", "reason"):
        if fields.get(required) is None:
            name = required.removesuffix("_id")
            raise _field_error(f"{name}_required", f"{name} is required.", name)
    with transaction.atomic(using=tenancy.db_alias()):
        return _apply_window(actor, MaintenanceWindow(), fields)


def update_maintenance_window(actor: Any, window: MaintenanceWindow, **fields: Any) -> MaintenanceWindow:
    """Change a window (fetched through ``selectors.get_window_for``), e.g. end it early."""
    with transaction.atomic(using=tenancy.db_alias()):
        locked = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        return _apply_window(actor, locked, fields)


def delete_maintenance_window(actor: Any, window: MaintenanceWindow) -> None:
    """Remove a window. Alerts it suppressed keep their timeline note of why."""
    with transaction.atomic(using=tenancy.db_alias()):
        MaintenanceWindow.objects.filter(pk=window.pk).delete()
