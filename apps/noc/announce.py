"""How alerts are told to the world: the alert as JSON, the dashboard push, webhooks, e-mail.

Everything here is called by the services inside their transaction and goes out only on
commit: ``publish_on_commit`` defers the WebSocket message, and ``notify``/``emit`` (the
notifications app) defer their e-mails and webhook deliveries themselves.

Events:

- ``alert.created``: a new alert (dashboard, unless suppressed; webhooks always).
- ``alert.updated``: any change of an alert (repeat, acknowledge, assign, resolve,
  comment, escalation). A suppressed alert that comes back to life after its maintenance
  window is ``alert.created`` on the dashboard, which never saw it, and ``alert.updated``
  for webhooks, which did.
- ``alert.escalated``: webhooks and e-mail, besides the ``alert.updated``.
"""

from __future__ import annotations

from typing import Any

from apps.core.realtime import publish_on_commit
from apps.people.models import Person

from .models import Alert

NOC_CHANNEL = "noc"
CREATED, UPDATED, ESCALATED = "alert.created", "alert.updated", "alert.escalated"
#: New alerts of these severities are e-mailed to the site's in-charge and supervisors.
NOTIFY_ON_CREATE = frozenset({Alert.Severity.HIGH, Alert.Severity.CRITICAL})


def console_path(alert: Alert) -> str:
    return f"/noc/alerts/{alert.pk}/"


def _person(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "name": person.name}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def source_ref(alert: Alert) -> dict[str, Any] | None:
    """The object that raised the alert as ``{"type": "<app>.<model>", "id": <id>}``."""
    source_type = alert.source_type if alert.source_type_id is not None else None
    if source_type is None:
        return None
    return {"type": f"{source_type.app_label}.{source_type.model}", "id": alert.source_id}


def alert_json(alert: Alert) -> dict[str, Any]:
    """The alert as plain JSON types: the dashboard message, the webhook payload and the
    e-mail context all use this one shape."""
    site = alert.site
    return {
        "id": alert.pk,
        "uuid": str(alert.uuid),
        "type": alert.type,
        "severity": alert.severity,
        "status": alert.status,
        "title": alert.title,
        "site_id": alert.site_id,
        "site_code": site.code if site is not None else None,
        "site_name": site.name if site is not None else None,
        "details": alert.details,
        "source": source_ref(alert),
        "dedupe_key": alert.dedupe_key,
        "occurrences": alert.occurrences,
        "first_seen_at": _iso(alert.first_seen_at),
        "last_seen_at": _iso(alert.last_seen_at),
        "escalation_level": alert.escalation_level,
        "escalate_at": _iso(alert.escalate_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": _person(alert.acknowledged_by),
        "assigned_to": _person(alert.assigned_to),
        "assigned_at": _iso(alert.assigned_at),
        "resolved_at": _iso(alert.resolved_at),
        "resolved_by": _person(alert.resolved_by),
        "resolution_note": alert.resolution_note,
        "created_at": _iso(alert.created_at),
        "modified_at": _iso(alert.modified_at),
        "url": console_path(alert),
    }


def push(alert: Alert, event: str) -> None:
    """The dashboard message, on commit, only to sockets that may see the alert's site
    (an alert without a site only to those who see every site)."""
    publish_on_commit(alert.tenant_id, NOC_CHANNEL, event, alert_json(alert), site_id=alert.site_id, site_scoped=True)


def emit(event: str, alert: Alert, **extra: Any) -> None:
    from apps.notifications.services import emit as emit_webhooks

    emit_webhooks(event, {"alert": alert_json(alert), **extra})


def notify(event: str, alert: Alert, people: list[int], **extra: Any) -> None:
    from apps.notifications.services import notify as send_notifications

    if people:
        send_notifications(event, people=people, context={"alert": alert_json(alert), **extra}, site_id=alert.site_id)


def created(alert: Alert) -> None:
    """A new alert: pushed (unless suppressed), emitted, and e-mailed when HIGH or CRITICAL."""
    if alert.status != Alert.Status.SUPPRESSED:
        push(alert, CREATED)
    emit(CREATED, alert)
    if alert.status != Alert.Status.SUPPRESSED and alert.severity in NOTIFY_ON_CREATE:
        from .recipients import site_responsibles

        notify(CREATED, alert, site_responsibles(alert.site))


def revived(alert: Alert) -> None:
    """A suppressed alert raised again after its maintenance window: new to the dashboard."""
    push(alert, CREATED)
    emit(UPDATED, alert)
    if alert.severity in NOTIFY_ON_CREATE:
        from .recipients import site_responsibles

        notify(CREATED, alert, site_responsibles(alert.site))


def updated(alert: Alert) -> None:
    """A changed alert: pushed (a suppressed one stays off the dashboard) and emitted."""
    if alert.status != Alert.Status.SUPPRESSED:
        push(alert, UPDATED)
    emit(UPDATED, alert)


def escalated(alert: Alert, level: int, people: list[int]) -> None:
    updated(alert)
    emit(ESCALATED, alert, level=level)
    notify(ESCALATED, alert, people, level=level)
