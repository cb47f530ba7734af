"""Through a real Celery worker (Redis broker): an e-mail and a webhook delivery, with its
retry, queued on commit and sent in the publisher's tenant."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from apps.core.tenancy import tenant_context
from apps.core.tests.tasks_for_tests import TEST_QUEUE, celery_worker  # noqa: F401
from apps.notifications import services
from apps.notifications.models import NotificationLog, WebhookDelivery
from conftest import make_tenant

from .conftest import Receiver
from .factories import ALERT, TICKET, make_person, make_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture(autouse=True)
def worker_queue(settings: Any, fast_retries: None) -> None:
    """Publish to the queue the test worker consumes (the real one would take ``notifications``)."""
    settings.NOTIFICATIONS_TASK_QUEUE = TEST_QUEUE


def wait_for(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not finish in time")


def test_an_email_is_sent_by_the_worker_once_the_change_commits() -> None:
    tenant = make_tenant("mailworker")
    with tenant_context(tenant):
        person = make_person("asha")
        with transaction.atomic():
            services.notify("ticket.created", people=[person], context={"ticket": TICKET})
            time.sleep(0.3)  # the worker has nothing yet: the task is published on commit
            assert mail.outbox == []

        def sent() -> bool:
            return NotificationLog.objects.get().status == "SENT"

        wait_for(sent)
        row = NotificationLog.objects.get()
    assert (row.attempts, row.email) == (1, "asha@example.com")
    assert [message.subject for message in mail.outbox] == ["Ticket NORTH#12: Broken fence"]


@pytest.mark.usefixtures("loopback_allowed")
def test_a_webhook_is_delivered_by_the_worker_after_a_retry(receiver: Receiver) -> None:
    tenant = make_tenant("hookworker")
    receiver.answer(503)
    with tenant_context(tenant):
        make_webhook(receiver.url(), events=["alert.*"])
        services.emit("alert.escalated", {"alert": ALERT, "level": 1})  # autocommit: queued at once

        def succeeded() -> bool:
            return WebhookDelivery.objects.get().status == "SUCCEEDED"

        wait_for(succeeded)
        delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.response_code) == (2, 200)
    assert [r.headers["x-youtility-delivery"] for r in receiver.requests] == [str(delivery.uuid)] * 2
