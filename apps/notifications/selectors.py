"""Reads of webhooks, deliveries, e-mail logs and preferences, in the tenant in context.

Webhooks and their deliveries are tenant-wide (tenant admins manage them); e-mail logs
follow site scope for anyone who is not a tenant admin, plus their own e-mails.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.core.errors import NotFound
from apps.sites.selectors import sees_all_sites, sites_for

from .models import NotificationLog, NotificationPreference, Webhook, WebhookDelivery


def _pk(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def webhooks() -> QuerySet[Webhook]:
    return Webhook.objects.order_by("pk")


def get_webhook(webhook_id: Any) -> Webhook:
    """One webhook of the tenant in context; another tenant's is ``NotFound``, like a missing one."""
    pk = _pk(webhook_id)
    webhook = webhooks().filter(pk=pk).first() if pk is not None else None
    if webhook is None:
        raise NotFound()
    return webhook


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The deliveries of ``webhook``, newest first."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-pk")


def get_delivery(webhook: Webhook, delivery_id: Any) -> WebhookDelivery:
    pk = _pk(delivery_id)
    delivery = deliveries_of(webhook).filter(pk=pk).first() if pk is not None else None
    if delivery is None:
        raise NotFound()
    return delivery


def notification_logs_for(viewer: Any) -> QuerySet[NotificationLog]:
    """E-mail logs ``viewer`` may read: all for tenant admins; otherwise those of their
    sites and their own."""
    logs = NotificationLog.objects.select_related("person", "site").order_by("-created_at", "-pk")
    if sees_all_sites(viewer):
        return logs
    return logs.filter(Q(site__in=sites_for(viewer).values("pk")) | Q(person_id=viewer.pk))


def preferences_of(person: Any) -> QuerySet[NotificationPreference]:
    return NotificationPreference.objects.filter(person_id=person.pk).order_by("event")
