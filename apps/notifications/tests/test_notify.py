"""E-mail notifications: who gets them, what they say, and sending exactly once with retries."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connections, transaction
from django.utils import timezone

from apps.core.errors import DomainError
from apps.core.tenancy import TenantContextMissing, tenant_context
from apps.notifications import events, services
from apps.notifications.delivery import redispatch_due
from apps.notifications.models import NotificationLog
from apps.people.models import Person, Team
from apps.people.services import Member, create_team
from apps.sites.models import Site
from conftest import make_tenant

from .backends import FlakyBackend
from .conftest import send
from .factories import ALERT, TICKET, make_person

pytestmark = pytest.mark.django_db

ESCALATED_TEXT = """\
Ticket NORTH#12 waited too long at its level and was escalated to level 2. Please act on it.

Ticket:   NORTH#12
Title:    Broken fence
Priority: HIGH
Status:   OPEN
Category: Maintenance
Site:     North Gate (NORTH)
Assigned: Asha Rao
SLA due:  2026-03-01T12:00:00+00:00

Open it in Youtility: https://ops.example.com/helpdesk/tickets/12/

--
Youtility sent this automatically; replies are not read.
To stop e-mails like this one, mute "ticket.escalated" in your notification preferences.
""".replace("\n--\n", "\n-- \n")  # the signature separator is "-- " with its space


@dataclass
class Crew:
    asha: Person  # e-mail, in the night team too
    ben: Person  # no e-mail
    carl: Person  # inactive
    dina: Person  # muted ticket.*
    eve: Person  # muted ticket.* but not ticket.escalated
    frank: Person  # only in the night team
    gina: Person  # only in an inactive team
    night: Team
    old: Team
    site: Site


@pytest.fixture
def crew(tenant_a: Any, settings: Any) -> Crew:
    settings.CONSOLE_BASE_URL = "https://ops.example.com/"
    settings.NOTIFICATIONS_FROM_EMAIL = "Youtility <alerts@ops.example.com>"
    from apps.assets.tests.factories import make_site

    with tenant_context(tenant_a):
        people = {name: make_person(name) for name in ("asha", "carl", "dina", "eve", "frank", "gina")}
        people["ben"] = make_person("ben", email="")
        Person.objects.filter(pk=people["carl"].pk).update(is_active=False)
        services.set_preferences(people["dina"], [{"event": "ticket.*", "muted": True}])
        services.set_preferences(
            people["eve"], [{"event": "ticket.*", "muted": True}, {"event": "ticket.escalated", "muted": False}]
        )
        night = create_team(code="NIGHT", name="Night", members=[Member(people["asha"].pk), Member(people["frank"].pk)])
        old = create_team(code="OLD", name="Old", members=[Member(people["gina"].pk)], is_active=False)
        return Crew(**people, night=night, old=old, site=make_site("NORTH", name="North Gate"))


def logs(tenant: Any) -> dict[str, tuple[str, str]]:
    with tenant_context(tenant):
        return {
            row.person.login: (row.status, row.last_error) for row in NotificationLog.objects.select_related("person")
        }


def test_notify_mails_each_reachable_recipient_once_and_records_the_others(
    tenant_a: Any, crew: Crew, run_on_commit: Any
) -> None:
    with tenant_context(tenant_a), run_on_commit():
        services.notify(
            "ticket.escalated",
            people=[crew.asha, crew.ben.pk, crew.carl, crew.dina, crew.eve.pk],
            teams=[crew.night, crew.old.pk],
            context={"ticket": TICKET, "level": 2},
            site_id=crew.site.pk,
        )

    assert logs(tenant_a) == {
        "asha": ("SENT", ""),
        "ben": ("SKIPPED", "Not sent: the person has no e-mail address."),
        "carl": ("SKIPPED", "Not sent: the person is inactive."),
        "dina": ("SKIPPED", "Not sent: the person muted this event."),
        "eve": ("SENT", ""),
        "frank": ("SENT", ""),
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "asha@example.com",
        "eve@example.com",
        "frank@example.com",
    ]
    message = cast(EmailMultiAlternatives, mail.outbox[0])
    assert len(message.to) == 1 and message.cc == [] and message.bcc == []
    assert message.subject == "Ticket NORTH#12 escalated to level 2: Broken fence"
    assert message.from_email == "Youtility <alerts@ops.example.com>"
    assert message.body == ESCALATED_TEXT
    assert message.extra_headers == {"Auto-Submitted": "auto-generated", "X-Youtility-Event": "ticket.escalated"}
    ((content, mimetype),) = message.alternatives
    html = str(content)
    assert mimetype == "text/html"
    assert '<a href="https://ops.example.com/helpdesk/tickets/12/">Open it in Youtility</a>' in html
    with tenant_context(tenant_a):
        sent = NotificationLog.objects.get(person=crew.asha)
    assert (sent.event, sent.email, sent.site_id, sent.attempts) == (
        "ticket.escalated",
        "asha@example.com",
        crew.site.pk,
        1,
    )
    assert sent.sent_at is not None and sent.next_attempt_at is None
    assert (sent.subject, sent.body_text) == (message.subject, message.body)


def test_a_muted_family_does_not_mute_other_families(tenant_a: Any, crew: Crew, run_on_commit: Any) -> None:
    with tenant_context(tenant_a), run_on_commit():
        services.notify("alert.created", people=[crew.dina], context={"alert": ALERT})
    assert logs(tenant_a) == {"dina": ("SENT", "")}
    assert mail.outbox[0].subject == "[CRITICAL] Panic button pressed at North Gate"


def test_html_is_escaped_while_the_text_and_subject_stay_plain(tenant_a: Any, crew: Crew, run_on_commit: Any) -> None:
    ticket = {**TICKET, "title": "<script>alert('x')</script> & Co", "description": "<img src=x onerror=1>"}
    with tenant_context(tenant_a), run_on_commit():
        services.notify("ticket.created", people=[crew.frank], context={"ticket": ticket})
    message = cast(EmailMultiAlternatives, mail.outbox[0])
    assert len(mail.outbox) == 1
    assert message.subject == "Ticket NORTH#12: <script>alert('x')</script> & Co"
    assert "Title:    <script>alert('x')</script> & Co" in message.body
    html = str(message.alternatives[0][0])
    assert "<script>" not in html and "<img" not in html
    assert "<td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co</td>" in html
    assert "<title>Ticket NORTH#12: &lt;script&gt;" in html
    assert "&lt;img src=x onerror=1&gt;" in html


def test_a_subject_never_spans_lines(tenant_a: Any, crew: Crew) -> None:
    with tenant_context(tenant_a):
        services.notify("ticket.created", people=[crew.frank], context={"ticket": {**TICKET, "title": "a\r\nBcc: x@y"}})
        assert NotificationLog.objects.get().subject == "Ticket NORTH#12: a Bcc: x@y"


EXPECTED_SUBJECTS = {
    "alert.created": "[CRITICAL] Panic button pressed at North Gate",
    "alert.updated": "Alert NEW: Panic button pressed at North Gate",
    "alert.escalated": "Escalated to level 2: [CRITICAL] Panic button pressed at North Gate",
    "ticket.created": "Ticket NORTH#12: Broken fence",
    "ticket.updated": "Ticket NORTH#12 is OPEN: Broken fence",
    "ticket.escalated": "Ticket NORTH#12 escalated to level 2: Broken fence",
    "ticket.sla_breached": "SLA breached: ticket NORTH#12 Broken fence",
    "ticket.comment_added": "New comment on ticket NORTH#12: Broken fence",
}


def test_every_event_has_a_template_set() -> None:
    from django.template.loader import get_template

    for event in events.EVENTS:
        for part in ("subject.txt", "txt", "html"):
            assert get_template(f"notifications/email/{event}.{part}")
    # The job events' renderings are asserted with the scheduling tests that send them.
    assert set(EXPECTED_SUBJECTS) == {event for event in events.EVENTS if not event.startswith("job.")}


@pytest.mark.parametrize("event", sorted(EXPECTED_SUBJECTS))
def test_each_event_renders_its_subject_text_and_html(event: str, settings: Any) -> None:
    from apps.notifications.rendering import render

    settings.CONSOLE_BASE_URL = "https://ops.example.com"
    context: dict[str, Any] = {"level": 2}
    if event.startswith("alert."):
        context["alert"] = ALERT
    else:
        context.update(ticket=TICKET, comment={"author": "Ravi Kumar", "text": "Gate 2 is open again."})
    rendered = render(event, context)
    assert rendered.subject == EXPECTED_SUBJECTS[event]
    link = f"https://ops.example.com{(ALERT if event.startswith('alert.') else TICKET)['url']}"
    assert f"Open it in Youtility: {link}\n" in rendered.text
    assert f'<a href="{link}">' in rendered.html
    assert f'mute "{event}"' in rendered.text
    assert "North Gate (NORTH)" in rendered.text and "North Gate (NORTH)" in rendered.html
    assert "None" not in rendered.text and "None" not in rendered.html
    if event == "ticket.comment_added":
        assert rendered.text.startswith("Ravi Kumar commented on ticket NORTH#12:\n\nGate 2 is open again.\n")


def test_flat_site_keys_and_a_named_console_path_are_understood() -> None:
    from apps.notifications.rendering import render

    alert = {
        "id": 3,
        "title": "Tour missed",
        "severity": "HIGH",
        "status": "NEW",
        "site_code": "S1",
        "site_name": "Dock",
    }
    rendered = render("alert.created", {"alert": {**alert, "console_url": "/noc/alerts/3/"}})
    assert rendered.subject == "[HIGH] Tour missed at Dock"
    assert "Site:     Dock (S1)" in rendered.text
    assert "/noc/alerts/3/" in rendered.text
    # Only a path of the console becomes a link, never another host.
    assert "evil" not in render("alert.created", {"alert": {**alert, "url": "//evil.example/x"}}).html


def test_unknown_events_and_bad_contexts_are_refused_and_nothing_is_written(tenant_a: Any, crew: Crew) -> None:
    with tenant_context(tenant_a):
        with pytest.raises(ValueError, match=r"Unknown notification event 'ticket\.deleted'"):
            services.notify("ticket.deleted", people=[crew.asha], context={"ticket": TICKET})
        with pytest.raises(ValueError, match="JSON-serialisable"):
            services.notify("ticket.created", people=[crew.asha], context={"ticket": {1, 2}})
        with pytest.raises(ValueError, match="must be a dict"):
            services.notify("ticket.created", people=[crew.asha], context=["ticket"])  # type: ignore[arg-type]
        with pytest.raises(DomainError) as too_big:
            services.notify("ticket.created", people=[crew.asha], context={"ticket": {"description": "x" * 300_000}})
        assert too_big.value.code == "payload_too_large"
        with pytest.raises(TypeError):
            services.notify("ticket.created", people=["asha"], context={"ticket": TICKET})  # type: ignore[list-item]
        assert NotificationLog.objects.count() == 0
    with pytest.raises(TenantContextMissing):
        services.notify("ticket.created", people=[crew.asha], context={"ticket": TICKET})


def test_nothing_is_sent_for_a_change_that_rolls_back(tenant_a: Any, crew: Crew, run_on_commit: Any) -> None:
    with tenant_context(tenant_a), run_on_commit() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify("ticket.created", people=[crew.asha], context={"ticket": TICKET})
            raise RuntimeError("the ticket was not saved")
    assert callbacks == []
    assert mail.outbox == []
    assert logs(tenant_a) == {}


def test_other_tenants_people_teams_and_sites_are_ignored(
    tenant_a: Any, tenant_b: Any, crew: Crew, run_on_commit: Any
) -> None:
    with tenant_context(tenant_b):
        stranger = make_person("stranger")
        their_team = create_team(code="B", name="B team", members=[Member(stranger.pk)])
        from apps.assets.tests.factories import make_site

        their_site = make_site("BRAVO")
    with tenant_context(tenant_a), run_on_commit():
        services.notify(
            "alert.created",
            people=[stranger.pk, crew.frank],
            teams=[their_team.pk],
            context={"alert": ALERT},
            site_id=their_site.pk,
        )
        services.notify("alert.created", people=[stranger.pk], context={"alert": ALERT})  # nobody: no error
    assert [message.to for message in mail.outbox] == [["frank@example.com"]]
    with tenant_context(tenant_a):
        assert list(NotificationLog.objects.values_list("person__login", "site_id")) == [("frank", None)]


# --- Sending: exactly once, retried with backoff ----------------------------------------------


def _queued(tenant: Any, person: Person, event: str = "ticket.created") -> NotificationLog:
    with tenant_context(tenant):
        services.notify(event, people=[person], context={"ticket": TICKET})
        return NotificationLog.objects.get(person=person, event=event)


def test_sending_twice_sends_once(tenant_a: Any, crew: Crew) -> None:
    row = _queued(tenant_a, crew.asha)
    assert send(tenant_a, row) == "SENT"
    assert send(tenant_a, row) == "SENT"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_email_at_once_send_it_once() -> None:
    tenant = make_tenant("mailrace")
    with tenant_context(tenant):
        person = make_person("racer")
    row = _queued(tenant, person)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(send(tenant, row))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["SENT", "SENT"]
    assert [message.to for message in mail.outbox] == [["racer@example.com"]]
    with tenant_context(tenant):
        assert NotificationLog.objects.get().attempts == 1


@pytest.fixture
def flaky(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "apps.notifications.tests.backends.FlakyBackend"
    FlakyBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    yield FlakyBackend
    FlakyBackend.failures = 0


def test_smtp_failures_are_retried_until_the_mail_goes(
    tenant_a: Any, crew: Crew, flaky: Any, run_on_commit: Any
) -> None:
    flaky.failures = 2
    with tenant_context(tenant_a), run_on_commit():
        services.notify("ticket.created", people=[crew.asha], context={"ticket": TICKET})
    with tenant_context(tenant_a):
        row = NotificationLog.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("SENT", 3, "")
    assert len(mail.outbox) == 1


def test_smtp_failures_end_as_failed_after_the_last_attempt(
    tenant_a: Any, crew: Crew, flaky: Any, run_on_commit: Any
) -> None:
    flaky.failures = 99
    with tenant_context(tenant_a), run_on_commit():
        services.notify("ticket.created", people=[crew.asha], context={"ticket": TICKET})
    with tenant_context(tenant_a):
        row = NotificationLog.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("FAILED", 5, None)
    assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


def test_a_refused_recipient_is_not_retried(tenant_a: Any, crew: Crew, flaky: Any) -> None:
    flaky.failures = 1
    flaky.error = smtplib.SMTPRecipientsRefused({"asha@example.com": (550, b"No such user")})
    row = _queued(tenant_a, crew.asha)
    assert send(tenant_a, row) == "FAILED"
    with tenant_context(tenant_a):
        row.refresh_from_db()
    assert (row.attempts, row.last_error) == (1, "The mail server refused the recipient.")


def test_the_first_retry_waits_a_minute(tenant_a: Any, crew: Crew, flaky: Any) -> None:
    flaky.failures = 1
    row = _queued(tenant_a, crew.asha)
    before = timezone.now()
    assert send(tenant_a, row) == "PENDING"
    with tenant_context(tenant_a):
        row.refresh_from_db()
    assert row.next_attempt_at is not None
    assert before + timedelta(seconds=59) < row.next_attempt_at < timezone.now() + timedelta(seconds=67)
    assert send(tenant_a, row) == "PENDING"  # a duplicate message before it is due does nothing
    assert (row.attempts, mail.outbox) == (1, [])


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_an_overdue_email_is_queued_again(tenant_a: Any, crew: Crew, eager: None) -> None:
    row = _queued(tenant_a, crew.asha)
    with tenant_context(tenant_a):
        NotificationLog.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    run = redispatch_due()
    assert (run.failed, run.total) == ({}, {"queued": 1})
    assert [message.to for message in mail.outbox] == [["asha@example.com"]]
    assert logs(tenant_a) == {"asha": ("SENT", "")}
