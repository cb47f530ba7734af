"""Sending what ``notify`` and ``emit`` queued: one attempt per task run, retried with backoff.

Each attempt locks its row (``SELECT ... FOR UPDATE``), does nothing unless the row is
still PENDING and due, sends, and records the outcome in the same transaction. A second
copy of the task (a redelivered message, a redispatch, a retry racing a slow attempt)
waits for the lock and then finds the row done: an e-mail is not sent twice, a webhook
not delivered twice, except when the process dies between sending and committing, where
the retry sends again (webhook receivers de-duplicate by ``X-Youtility-Delivery``).
"""

from __future__ import annotations

import json
import random
import smtplib
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from apps.core import tenancy
from apps.core.tenant_runner import TaskRun, for_each_database

from . import dispatch, netguard, signing, transport
from .models import NotificationLog, WebhookDelivery, store_response_bodies

log = structlog.get_logger(__name__)

#: A task may run this much before its row's ``next_attempt_at`` (clock skew between hosts).
EARLY_TOLERANCE = timedelta(seconds=2)
USER_AGENT = "Youtility-Webhooks/1.0"


def webhook_max_attempts() -> int:
    return settings.WEBHOOK_MAX_ATTEMPTS


def email_max_attempts() -> int:
    return settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS


def backoff_seconds(
    attempt: int, *, base: float, cap: float = 3600, jitter: Callable[[], float] = random.random
) -> float:
    """How long to wait after the ``attempt``-th failed attempt (1-based).

    ``base * 2 ** (attempt - 1)``, at most ``cap``, plus up to 10 % random jitter so that
    deliveries failing together (a receiver down) do not all come back at the same second.
    """
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * (1 + 0.1 * jitter())


def _due(row: NotificationLog | WebhookDelivery, now: datetime) -> bool:
    return row.next_attempt_at is None or row.next_attempt_at <= now + EARLY_TOLERANCE


# --- E-mail ---------------------------------------------------------------------------------


def _email(row: NotificationLog) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.NOTIFICATIONS_FROM_EMAIL,
        to=[row.email],
        headers={"Auto-Submitted": "auto-generated", "X-Youtility-Event": row.event},
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def send_email(log_id: int, log_uuid: str) -> str:
    """Send one queued e-mail if it is still PENDING and due; return the row's status after.

    SMTP and network failures are retried with backoff up to
    ``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``; a refused recipient is not retried.
    """
    with transaction.atomic(using=tenancy.db_alias()):
        row = NotificationLog.objects.select_for_update().filter(pk=log_id, uuid=log_uuid).first()
        if row is None:
            return "missing"
        now = timezone.now()
        if row.status != NotificationLog.Status.PENDING or not _due(row, now):
            return str(row.status)
        row.attempts += 1
        retry = False
        try:
            _email(row).send()
        except smtplib.SMTPRecipientsRefused:
            row.status = NotificationLog.Status.FAILED
            row.last_error = "The mail server refused the recipient."
        except ValueError as exc:  # a header Django refuses: sending again would not help
            row.status = NotificationLog.Status.FAILED
            row.last_error = f"The message could not be built: {exc}"[:500]
        except (smtplib.SMTPException, OSError) as exc:
            row.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            retry = row.attempts < email_max_attempts()
            row.status = NotificationLog.Status.PENDING if retry else NotificationLog.Status.FAILED
        else:
            row.status = NotificationLog.Status.SENT
            row.sent_at = timezone.now()
            row.last_error = ""
        countdown = 0.0
        if retry:
            countdown = backoff_seconds(row.attempts, base=settings.NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS)
            row.next_attempt_at = now + timedelta(seconds=countdown)
            dispatch.send_emails_on_commit([row], countdown=countdown)
        else:
            row.next_attempt_at = None
        row.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at", "modified_at"])
    log.info(
        "notifications.email_attempt",
        log_id=row.pk,
        notification_event=row.event,
        person_id=row.person_id,
        status=row.status,
        attempt=row.attempts,
    )
    return str(row.status)


# --- Webhooks -------------------------------------------------------------------------------


def envelope(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes on every attempt of a delivery."""
    body = {
        "id": str(delivery.uuid),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "tenant": tenancy.current_tenant().slug,
        "data": delivery.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _finish(delivery: WebhookDelivery, outcome: transport.Outcome, now: datetime) -> float | None:
    """Record ``outcome`` on ``delivery``; return the countdown of the retry, if one is due."""
    delivery.attempts += 1
    delivery.response_code = outcome.status
    keep_body = store_response_bodies() and not outcome.private
    delivery.response_excerpt = outcome.excerpt[: transport.EXCERPT_BYTES] if keep_body else ""
    delivery.duration_ms = outcome.duration_ms
    delivery.error_code = outcome.error_code
    delivery.last_error = outcome.error
    delivery.next_attempt_at = None
    if outcome.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
        return None
    if outcome.retryable and delivery.attempts < webhook_max_attempts():
        countdown = backoff_seconds(delivery.attempts, base=settings.WEBHOOK_RETRY_BASE_SECONDS)
        delivery.next_attempt_at = now + timedelta(seconds=countdown)
        return countdown
    delivery.status = WebhookDelivery.Status.FAILED
    return None


def _refused(code: str, message: str) -> transport.Outcome:
    return transport.Outcome(ok=False, retryable=False, error_code=code, error=message)


def deliver_webhook(delivery_id: int, delivery_uuid: str) -> str:
    """Make one attempt of a PENDING, due delivery; return its status after.

    Network errors, 429 and 5xx are retried with exponential backoff up to
    ``WEBHOOK_MAX_ATTEMPTS`` in all; any other answer, a redirect, an inactive webhook or a
    refused address ends the delivery as FAILED.
    """
    with transaction.atomic(using=tenancy.db_alias()):
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id, uuid=delivery_uuid)
            .first()
        )
        if delivery is None:
            return "missing"
        now = timezone.now()
        if delivery.status != WebhookDelivery.Status.PENDING or not _due(delivery, now):
            return str(delivery.status)
        webhook = delivery.webhook
        if not webhook.active:
            outcome = _refused("webhook_inactive", "The webhook was deactivated before this delivery was sent.")
        else:
            try:
                target = netguard.parse_url(webhook.url)
            except netguard.UrlError as exc:
                outcome = _refused("invalid_url", exc.message)
            else:
                body = envelope(delivery)
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    signing.EVENT_HEADER: delivery.event,
                    signing.DELIVERY_HEADER: str(delivery.uuid),
                    signing.SIGNATURE_HEADER: signing.signature(webhook.secret, int(time.time()), body),
                }
                outcome = transport.post(target, body=body, headers=headers)
        countdown = _finish(delivery, outcome, now)
        delivery.save()
        if countdown is not None:
            dispatch.deliver_on_commit([delivery], countdown=countdown)
    log.info(
        "notifications.webhook_attempt",
        delivery_id=delivery.pk,
        webhook_id=delivery.webhook_id,
        notification_event=delivery.event,
        status=delivery.status,
        attempt=delivery.attempts,
        response_code=delivery.response_code,
        error_code=delivery.error_code or None,
        duration_ms=delivery.duration_ms,
    )
    return str(delivery.status)


# --- Upkeep (periodic tasks) ----------------------------------------------------------------


def redispatch_due(now: datetime | None = None, batch: int = 500) -> TaskRun:
    """Queue again what should have been sent by now but was not: a publish lost when the
    broker was down, a message lost with a worker (the ``notifications.redispatch_due``
    task): per database, how many were ``queued``.

    Rows overdue by ``NOTIFICATIONS_REDISPATCH_AFTER_SECONDS`` are picked (skipping any an
    attempt holds locked), their ``next_attempt_at`` moved to now so the next sweep leaves
    them alone for as long again, and their tasks published in their tenant once that
    move has committed (hence ``atomic=False``). A database that fails is logged and
    reported, and the others go on.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATIONS_REDISPATCH_AFTER_SECONDS)
    run = for_each_database(
        "notifications.redispatch_due",
        lambda alias: {"queued": _redispatch(alias, now, cutoff, batch)},
        reason="redispatch overdue notifications",
        atomic=False,
    )
    queued = run.total.get("queued", 0)
    if queued:
        log.info("notifications.redispatched", count=queued)
    return run


def _redispatch(alias: str, now: datetime, cutoff: datetime, batch: int) -> int:
    from apps.tenants.models import Tenant

    jobs: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    with transaction.atomic(using=alias):
        for kind, model in (("email", NotificationLog), ("webhook", WebhookDelivery)):
            rows = list(
                model.objects.select_for_update(skip_locked=True)  # type: ignore[attr-defined]
                .filter(status="PENDING", next_attempt_at__lte=cutoff)
                .order_by("next_attempt_at")
                .values_list("tenant_id", "pk", "uuid")[:batch]
            )
            model.objects.filter(pk__in=[pk for _, pk, _ in rows]).update(next_attempt_at=now)  # type: ignore[attr-defined]
            for tenant_id, pk, uuid in rows:
                jobs[tenant_id].append((kind, pk, str(uuid)))
    queued = 0
    for tenant in Tenant.objects.filter(pk__in=list(jobs), is_active=True):
        with tenancy.tenant_context(tenant):
            for kind, pk, uuid in jobs[tenant.pk]:
                dispatch.publish(kind, [(pk, uuid)])
                queued += 1
    return queued


def purge_old(now: datetime | None = None) -> TaskRun:
    """Delete finished e-mail logs and webhook deliveries older than
    ``NOTIFICATIONS_RETENTION_DAYS`` (90 by default) in every database; pending rows stay
    (the ``notifications.purge_old`` task: per database, ``notification_logs`` and
    ``webhook_deliveries`` deleted). A database that fails is logged and reported, and
    the others go on."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    return for_each_database(
        "notifications.purge_old", lambda _alias: _purge_before(cutoff), reason="purge old notifications"
    )


def _purge_before(cutoff: datetime) -> dict[str, int]:
    """Delete the finished rows created before ``cutoff`` in the database in context."""
    return {
        "notification_logs": NotificationLog.objects.filter(created_at__lt=cutoff)
        .exclude(status=NotificationLog.Status.PENDING)
        .delete()[0],
        "webhook_deliveries": WebhookDelivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=WebhookDelivery.Status.PENDING)
        .delete()[0],
    }
