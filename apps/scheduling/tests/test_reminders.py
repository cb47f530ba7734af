"""PPM reminders: sent at their time (not early), once, to the right people, status recorded.

The PPM here runs at 12:00 in Dubai (08:00 UTC) with a one-hour reminder, so with the
clock at T0 (06:00 UTC) its first job is at T0 + 2 h and the reminder is due at T0 + 1 h.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import structlog

from apps.core.tenancy import tenant_context
from apps.core.testing.concurrency import run_together
from apps.notifications import rendering
from apps.notifications.models import NotificationLog
from apps.people.models import Person
from apps.scheduling import reminders
from apps.scheduling.models import Job, Kind, Reminder, Schedule
from apps.tenants.models import Tenant

from .conftest import T0, Clock, World
from .factories import make_schedule

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M = timedelta(minutes=1)


def ppm(world: World, **fields: Any) -> Schedule:
    fields.setdefault("assignee_person", world.guard)
    return make_schedule(
        kind=Kind.PPM,
        name=fields.pop("name", "Pump service"),
        site=world.north,
        asset=world.pump,
        checklist=world.maintenance,
        cron="0 12 * * *",
        valid_from=T0,
        duration_minutes=90,
        reminder_offsets=fields.pop("reminder_offsets", [60]),
        **fields,
    )


def with_email(*people: Person) -> None:
    for person in people:
        Person.objects.filter(pk=person.pk).update(email=f"{person.login}@example.com")


def logs() -> list[tuple[int | None, str, str]]:
    return sorted(NotificationLog.objects.filter(event="job.reminder").values_list("person_id", "status", "subject"))


def send() -> dict[str, int]:
    """Run the reminders as the beat task does; every tenant must finish."""
    run = reminders.send_due_reminders()
    assert run.failed == {}
    return run.total


def test_a_reminder_goes_out_at_its_time_once(world: World, clock: Clock, in_tenant_a: Any) -> None:
    with_email(world.guard, world.supervisor)
    schedule = ppm(world, notify_person_ids=[world.supervisor.pk])
    first = Job.objects.filter(schedule=schedule).order_by("plan_at").first()
    assert first is not None and first.plan_at == T0 + 2 * H
    reminder = Reminder.objects.get(job=first)
    assert (reminder.offset_minutes, reminder.remind_at, reminder.status) == (60, T0 + H, "PENDING")

    clock.set(T0 + H - timedelta(seconds=1))
    assert send() == {"sent": 0, "skipped": 0}
    assert logs() == []

    clock.set(T0 + H)
    assert send() == {"sent": 1, "skipped": 0}
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at, reminder.recipients, reminder.error) == ("SENT", T0 + H, 2, "")
    subject = "Due in 1 hour: Pump service at North Gate"
    assert logs() == sorted([(world.guard.pk, "PENDING", subject), (world.supervisor.pk, "PENDING", subject)])
    text = NotificationLog.objects.filter(person=world.guard).values_list("body_text", flat=True).get()
    assert text.startswith("Pump service at North Gate is due in 1 hour, at Wed 04 Mar 2026 12:00 +04.\n")
    assert "Asset:    Fire pump (PUMP-1)\n" in text
    assert f"Open it in Youtility: {rendering.console_url()}/jobs/{first.pk}/\n" in text

    clock.advance(minutes=5)
    assert send()["sent"] == 0
    assert len(logs()) == 2
    # The second job's reminder waits for its own time.
    assert list(Reminder.objects.order_by("remind_at").values_list("status", "remind_at")) == [
        ("SENT", T0 + H),
        ("PENDING", T0 + 25 * H),
    ]


def test_a_job_no_longer_assigned_is_not_reminded_of(world: World, clock: Clock, in_tenant_a: Any) -> None:
    with_email(world.guard)
    schedule = ppm(world, reminder_offsets=[60, 90])
    first = Job.objects.filter(schedule=schedule).order_by("plan_at").first()
    assert first is not None
    Job.objects.filter(pk=first.pk).update(status="INPROGRESS", started_at=T0)
    clock.set(T0 + H)
    assert send() == {"sent": 0, "skipped": 2}
    assert list(Reminder.objects.filter(job=first).order_by("offset_minutes").values_list("status", "error")) == [
        ("SKIPPED", "Not sent: the job is in progress."),
        ("SKIPPED", "Not sent: the job is in progress."),
    ]
    assert logs() == []


def test_reminders_planned_too_late_are_recorded_skipped(world: World, clock: Clock, in_tenant_a: Any) -> None:
    schedule = ppm(world, reminder_offsets=[60, 180])
    first = Job.objects.filter(schedule=schedule).order_by("plan_at").first()
    assert first is not None
    assert list(Reminder.objects.filter(job=first).order_by("offset_minutes").values_list("status", "error")) == [
        ("PENDING", ""),
        ("SKIPPED", "planned too late"),  # 05:00 UTC had passed when the job was planned
    ]
    clock.set(T0 + 30 * H)  # the first job's, and both of the second job's (T0 + 26 h)
    assert send() == {"sent": 3, "skipped": 0}


def test_a_team_assignee_reaches_its_members(world: World, clock: Clock, in_tenant_a: Any) -> None:
    with_email(world.guard, world.south_guard, world.admin)
    ppm(world, assignee_person=None, assignee_team=world.crew, notify_person_ids=[world.admin.pk, world.guard.pk])
    clock.set(T0 + H)
    assert send()["sent"] == 1
    reminder = Reminder.objects.get(status="SENT")
    assert reminder.recipients == 3
    assert [person for person, _, _ in logs()] == sorted([world.guard.pk, world.south_guard.pk, world.admin.pk])


def test_the_reminder_template(world: World, clock: Clock, in_tenant_a: Any) -> None:
    ppm(world, reminder_offsets=[2880])
    reminder = Reminder.objects.get(job__plan_at=T0 + 50 * H)
    context = reminders.reminder_context(reminder)
    job = reminder.job
    assert context == {
        "job": {
            "id": job.pk,
            "uuid": str(job.uuid),
            "title": "Pump service",
            "kind": "PPM",
            "priority": "MEDIUM",
            "plan_at": "2026-03-06T08:00:00Z",
            "plan_at_local": "Fri 06 Mar 2026 12:00 +04",
            "expires_at": "2026-03-06T09:45:00Z",
            "expires_at_local": "Fri 06 Mar 2026 13:45 +04",
            "duration_minutes": 90,
            "site": {"id": world.north.pk, "code": "NORTH", "name": "North Gate"},
            "asset": {"id": world.pump.pk, "code": "PUMP-1", "name": "Fire pump"},
            "schedule_id": job.schedule_id,
            "url": f"/jobs/{job.pk}/",
        },
        "reminder": {"id": reminder.pk, "offset_minutes": 2880, "remind_at": "2026-03-04T08:00:00Z", "lead": "2 days"},
    }
    rendered = rendering.render("job.reminder", context)
    assert rendered.subject == "Due in 2 days: Pump service at North Gate"
    assert "<strong>Pump service</strong> at North Gate is due in <strong>2 days</strong>" in rendered.html
    assert f'href="{rendering.console_url()}/jobs/{job.pk}/"' in rendered.html
    assert rendered.text.splitlines()[:8] == [
        "Pump service at North Gate is due in 2 days, at Fri 06 Mar 2026 12:00 +04.",
        "",
        "Job:      Pump service",
        "Priority: MEDIUM",
        "Site:     North Gate (NORTH)",
        "Asset:    Fire pump (PUMP-1)",
        "Planned:  Fri 06 Mar 2026 12:00 +04",
        "Expires:  Fri 06 Mar 2026 13:45 +04",
    ]
    # Names are escaped in the HTML only.
    context["job"]["title"] = "<b>Pump</b>"
    again = rendering.render("job.reminder", context)
    assert "&lt;b&gt;Pump&lt;/b&gt;" in again.html and "<b>Pump</b>" in again.text


@pytest.mark.parametrize(("minutes", "lead"), [(1, "1 minute"), (90, "90 minutes"), (60, "1 hour"), (1440, "1 day")])
def test_lead_wording(minutes: int, lead: str) -> None:
    assert reminders._lead(minutes) == lead


def test_each_tenant_is_handled_and_one_failing_does_not_stop_the_rest(
    world: World, clock: Clock, tenant_b: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tenant_context(world.tenant):
        ppm(world)
    clock.set(T0 + H)
    real = reminders.send_tenant_reminders
    calls: list[int | None] = []

    def flaky(now: Any = None, limit: int = 500) -> tuple[int, int]:
        from apps.core.tenancy import current_tenant_id

        calls.append(current_tenant_id())
        if current_tenant_id() == tenant_b.pk:
            raise RuntimeError("boom")
        return real(now, limit)

    monkeypatch.setattr(reminders, "send_tenant_reminders", flaky)
    with structlog.testing.capture_logs() as captured:
        run = reminders.send_due_reminders()
    tenants = Tenant.objects.filter(is_active=True).count()
    assert run.as_dict() == {
        "task": "scheduling.send_reminders",
        "tenants": tenants,
        "done": tenants - 1,
        "failed": {"bravo": "RuntimeError"},
        "total": {"sent": 1, "skipped": 0},
        "results": {world.tenant.slug: {"sent": 1, "skipped": 0}},
    }
    assert [(e["event"], e["tenant"], e["task"]) for e in captured if e["log_level"] == "error"] == [
        ("task.tenant_failed", "bravo", "scheduling.send_reminders")
    ]
    with tenant_context(tenant_b):
        assert Reminder.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(world: World, clock: Clock) -> None:
    """Nobody has an e-mail address here: the logs are written (SKIPPED), nothing is queued."""
    with tenant_context(world.tenant):
        for n in range(4):
            ppm(world, name=f"Pump service {n}", reminder_offsets=[60, 90, 180])
        # Three jobs each (48 + 3 hours ahead); the first job's three-hour reminder was past
        # when it was planned; at T0 + 30 h the first two jobs' reminders are due.
        assert Reminder.objects.filter(status="PENDING").count() == 4 * 8
    clock.set(T0 + 30 * H)
    results = run_together(world.tenant, reminders.send_tenant_reminders, reminders.send_tenant_reminders)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sum(sent for _, (sent, _) in results) == 20
    with tenant_context(world.tenant):
        assert Reminder.objects.filter(status="SENT").count() == 20
        # One log per reminder for the assignee: 20, not 40.
        assert NotificationLog.objects.filter(event="job.reminder", person=world.guard).count() == 20
