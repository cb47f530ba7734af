"""Celery tasks of notifications; named ``notifications.*``, so they run on the notifications queue.

They take ids (and the row's uuid, so a message that strays into another database
matches nothing), run in the publisher's tenant (task headers), and are idempotent:
``delivery`` locks the row and acts only on a PENDING, due one.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import delivery


@shared_task(name="notifications.send_email")
def send_email(log_id: int, log_uuid: str) -> str:
    """Send one queued e-mail (``NotificationLog``); retries are scheduled by the attempt itself."""
    return delivery.send_email(log_id, log_uuid)


@shared_task(name="notifications.deliver_webhook")
def deliver_webhook(delivery_id: int, delivery_uuid: str) -> str:
    """Make one attempt of a webhook delivery; retries are scheduled by the attempt itself."""
    return delivery.deliver_webhook(delivery_id, delivery_uuid)


@shared_task(name="notifications.redispatch_due")
def redispatch_due() -> dict[str, Any]:
    """Periodic: queue again e-mails and deliveries overdue for their next attempt."""
    return delivery.redispatch_due().as_dict()


@shared_task(name="notifications.purge_old")
def purge_old() -> dict[str, Any]:
    """Periodic: delete finished logs and deliveries past the retention period."""
    return delivery.purge_old().as_dict()
