"""``/api/v1/me/notification-preferences/`` (anyone, for themselves) and
``/api/v1/notification-logs/`` (tenant admins)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.notifications import events, services
from apps.notifications.models import NotificationLog, NotificationPreference
from apps.people.models import Person

from .factories import ALERT, TICKET, make_person

pytestmark = pytest.mark.django_db

PREFS = "/api/v1/me/notification-preferences/"
EVENTS = [{"name": name, "description": text} for name, text in events.EVENTS.items()]


def test_a_person_reads_and_replaces_their_own_preferences(tenant_a: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_guard.client()
    assert client.get(PREFS).json() == {
        "preferences": [],
        "events": EVENTS,
        "families": ["alert.*", "job.*", "ticket.*"],
    }

    first = client.put(
        PREFS,
        {"preferences": [{"event": "ticket.*", "muted": True}, {"event": "ticket.escalated", "muted": False}]},
        format="json",
    )
    assert first.status_code == 200, first.content
    assert first.json()["preferences"] == [
        {"event": "ticket.*", "muted": True},
        {"event": "ticket.escalated", "muted": False},
    ]
    second = client.put(PREFS, {"preferences": [{"event": "alert.updated", "muted": True}]}, format="json")
    assert second.json()["preferences"] == [{"event": "alert.updated", "muted": True}]
    assert client.get(PREFS).json()["preferences"] == [{"event": "alert.updated", "muted": True}]
    with tenant_context(tenant_a):
        assert list(NotificationPreference.objects.values_list("person_id", "event", "muted")) == [
            (tenant_a_guard.person.pk, "alert.updated", True)
        ]


@pytest.mark.parametrize(
    ("preferences", "code"),
    [
        ([{"event": "workorder.*", "muted": True}], "unknown_event"),
        ([{"event": "ticket.deleted", "muted": True}], "unknown_event"),
        ([{"event": "*", "muted": True}], "unknown_event"),
        ([{"event": "ticket.*", "muted": True}, {"event": "ticket.*", "muted": False}], "duplicate_event"),
        ([{"event": name, "muted": True} for name in ["alert.created"] * 51], "duplicate_event"),
    ],
)
def test_bad_preferences_change_nothing(tenant_a: Any, tenant_a_guard: Any, preferences: Any, code: str) -> None:
    client = tenant_a_guard.client()
    client.put(PREFS, {"preferences": [{"event": "alert.*", "muted": True}]}, format="json")
    response = client.put(PREFS, {"preferences": preferences}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert client.get(PREFS).json()["preferences"] == [{"event": "alert.*", "muted": True}]


def test_a_list_longer_than_allowed_is_too_many_events() -> None:
    # Eight events and two families exist today, fewer than either limit, so the limit is
    # exercised on the validator both doors use.
    with pytest.raises(DomainError) as refused:
        events.clean_patterns([*events.EVENTS, *events.families()], field="events", max_items=5)
    assert (refused.value.code, refused.value.details) == ("too_many_events", {"field": "events", "max": 5})


def test_preferences_are_each_persons_own(tenant_a: Any, tenant_a_guard: Any, tenant_a_supervisor: Any) -> None:
    tenant_a_guard.client().put(PREFS, {"preferences": [{"event": "alert.*", "muted": True}]}, format="json")
    assert tenant_a_supervisor.client().get(PREFS).json()["preferences"] == []


def test_preferences_need_a_signed_in_person(api: APIClient) -> None:
    response = api.get(PREFS)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def test_a_mute_set_through_the_api_stops_the_emails(
    tenant_a: Any, tenant_a_supervisor: Any, run_on_commit: Any
) -> None:
    tenant_a_supervisor.client().put(PREFS, {"preferences": [{"event": "ticket.*", "muted": True}]}, format="json")
    with tenant_context(tenant_a):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(email="sup@example.com")
        with run_on_commit():
            services.notify("ticket.created", people=[tenant_a_supervisor.person], context={"ticket": TICKET})
            services.notify("alert.created", people=[tenant_a_supervisor.person], context={"alert": ALERT})
    assert [message.subject for message in mail.outbox] == ["[CRITICAL] Panic button pressed at North Gate"]


# --- The e-mail log -------------------------------------------------------------------------


def test_admins_read_the_email_log(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        asha, ben = make_person("asha"), make_person("ben", email="")
        services.notify("alert.created", people=[asha, ben], context={"alert": ALERT})
        services.notify("ticket.created", people=[asha], context={"ticket": TICKET})
        rows = {(row.person.login, row.event): row for row in NotificationLog.objects.select_related("person")}
    client = tenant_a_admin.client()
    listed = client.get("/api/v1/notification-logs/").json()
    assert [(item["person"], item["event"], item["status"]) for item in listed["results"]] == [
        (asha.pk, "ticket.created", "PENDING"),
        (ben.pk, "alert.created", "SKIPPED"),
        (asha.pk, "alert.created", "PENDING"),
    ]
    skipped = rows[("ben", "alert.created")]
    assert listed["results"][1] == {
        "id": skipped.pk,
        "uuid": str(skipped.uuid),
        "event": "alert.created",
        "person": ben.pk,
        "email": "",
        "site": None,
        "subject": "[CRITICAL] Panic button pressed at North Gate",
        "status": "SKIPPED",
        "attempts": 0,
        "last_error": "Not sent: the person has no e-mail address.",
        "next_attempt_at": None,
        "sent_at": None,
        "created_at": listed["results"][1]["created_at"],
    }
    detail = client.get(f"/api/v1/notification-logs/{rows[('asha', 'ticket.created')].pk}/").json()
    assert detail["body_text"].startswith("A HIGH ticket was raised at North Gate.\n")
    assert "<table" in detail["body_html"]
    assert [i["event"] for i in client.get("/api/v1/notification-logs/?status=SKIPPED").json()["results"]] == [
        "alert.created"
    ]
    assert len(client.get(f"/api/v1/notification-logs/?event=ticket.created&person={asha.pk}").json()["results"]) == 1


@pytest.mark.parametrize("persona", ["tenant_a_supervisor", "tenant_a_guard"])
def test_only_admins_read_the_email_log(tenant_a: Any, persona: str, request: Any) -> None:
    response = request.getfixturevalue(persona).client().get("/api/v1/notification-logs/")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
