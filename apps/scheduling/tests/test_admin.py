"""Django admin of scheduling: schedules through the services (errors on their fields, nothing
half-written), "delete" disables; jobs and reminders read-only and scoped to the tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.scheduling.models import Job, Reminder, Schedule, ScheduleStop
from conftest import Persona

from .conftest import World
from .factories import make_job, make_schedule, make_site

pytestmark = pytest.mark.django_db

ADD = "/admin/scheduling/schedule/add/"


def signed_in(persona: Persona) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return client


def form(world: World, stops: int = 0, **changes: Any) -> dict[str, Any]:
    """The schedule form as the admin page posts it (``stops``: rows already saved)."""
    return {
        "name": "Gate check",
        "kind": "TASK",
        "site": world.north.pk,
        "site_group": "",
        "cron": "0 8 * * *",
        "valid_from_0": "2026-03-01",
        "valid_from_1": "00:00:00",
        "valid_until_0": "",
        "valid_until_1": "",
        "duration_minutes": 30,
        "grace_minutes": 15,
        "assignee_person": world.guard.pk,
        "assignee_team": "",
        "priority": "MEDIUM",
        "scan_type": "QR",
        "checklist": world.checklist.pk,
        "asset": "",
        "stop_checkpoints": "",
        "rounds": 1,
        "break_minutes": 0,
        "travel_minutes": 0,
        "reminder_offsets": "",
        "notify_person_ids": "",
        "email_on_miss": "unknown",
        "ticket_on_miss": "unknown",
        "ticket_category": "",
        "stops-TOTAL_FORMS": stops,
        "stops-INITIAL_FORMS": stops,
        "stops-MIN_NUM_FORMS": 0,
        "stops-MAX_NUM_FORMS": 1000,
        **changes,
    }


def test_a_task_is_added_through_the_service_and_errors_land_on_their_field(
    clock: Any, world: World, tenant_a_admin: Persona
) -> None:
    client = signed_in(tenant_a_admin)
    assert client.get(ADD).status_code == 200
    never = client.post(ADD, form(world, cron="0 0 30 2 *"))
    assert never.status_code == 200
    assert never.context["adminform"].form.errors["cron"][0].startswith("The cron expression '0 0 30 2 *' never fires")
    elsewhere = client.post(ADD, form(world, assignee_person=world.south_guard.pk))
    assert "assignee_cannot_work_at_site" in elsewhere.context["adminform"].form.errors["assignee_person"][0]
    with tenant_context(world.tenant):
        assert (Schedule.objects.count(), Job.objects.count()) == (0, 0)

    added = client.post(ADD, form(world))
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    with tenant_context(world.tenant):
        schedule = Schedule.objects.get()
        plans = list(Job.objects.filter(schedule=schedule).values_list("plan_at", flat=True))
    assert (schedule.name, schedule.cron, schedule.created_by_id) == ("Gate check", "0 8 * * *", world.admin.pk)
    assert [p.isoformat() for p in plans] == ["2026-03-05T04:00:00+00:00", "2026-03-06T04:00:00+00:00"]


def test_a_tour_takes_its_stops_as_checkpoint_codes(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    client = signed_in(tenant_a_admin)
    tour = form(world, name="Night round", kind="INTERNAL_TOUR", cron="0 9 * * *", stop_checkpoints="N-CP1, N-CP2")
    unknown = client.post(ADD, {**tour, "stop_checkpoints": "N-CP1 S-CP1"})
    assert unknown.context["adminform"].form.errors["stop_checkpoints"] == [
        "No checkpoint with code 'S-CP1' at the site."
    ]
    none = client.post(ADD, {**tour, "stop_checkpoints": ""})
    assert "stops_required" in none.context["adminform"].form.errors["stop_checkpoints"][0]
    assert client.post(ADD, tour).status_code == 302
    with tenant_context(world.tenant):
        schedule = Schedule.objects.get()
        ScheduleStop.objects.filter(schedule=schedule, position=1).update(offset_minutes=5, grace_minutes=2)
    change = f"/admin/scheduling/schedule/{schedule.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["stop_checkpoints"] == "N-CP1\nN-CP2"
    changed = client.post(
        change, {**tour, "stop_checkpoints": "N-CP3\nN-CP1", "stops-TOTAL_FORMS": 2, "stops-INITIAL_FORMS": 2}
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors if changed.context else changed
    with tenant_context(world.tenant):
        stops = list(
            ScheduleStop.objects.filter(schedule=schedule)
            .order_by("position")
            .values_list("position", "checkpoint__code", "offset_minutes", "grace_minutes")
        )
    # A checkpoint kept keeps its stop settings.
    assert stops == [(1, "N-CP3", 0, None), (2, "N-CP1", 5, 2)]


def test_delete_disables_and_the_action_enables(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    with tenant_context(world.tenant):
        schedule = make_schedule(name="Gate check", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
    client = signed_in(tenant_a_admin)
    deleted = client.post(f"/admin/scheduling/schedule/{schedule.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    with tenant_context(world.tenant):
        assert Schedule.objects.get().is_active is False
        assert Job.objects.count() == 0
    enabled = client.post(
        "/admin/scheduling/schedule/", {"action": "enable_selected", "_selected_action": [schedule.pk]}
    )
    assert enabled.status_code == 302
    with tenant_context(world.tenant):
        assert Schedule.objects.get().is_active is True
        assert Job.objects.count() == 2


def test_schedules_jobs_and_reminders_are_listed_for_the_tenant(
    clock: Any, world: World, tenant_a_admin: Persona, tenant_b: Any
) -> None:
    with tenant_context(world.tenant):
        schedule = make_schedule(name="ALPHA-SCHEDULE", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        job = Job.objects.filter(schedule=schedule).order_by("plan_at").first()
        assert job is not None
        Reminder.objects.create(job=job, offset_minutes=60, remind_at=job.plan_at - timedelta(hours=1))
    with tenant_context(tenant_b):
        foreign = make_job(site=make_site("BRAVO"), title="BRAVO-JOB")
    client = signed_in(tenant_a_admin)
    schedules = client.get("/admin/scheduling/schedule/")
    assert schedules.status_code == 200 and b"ALPHA-SCHEDULE" in schedules.content
    jobs = client.get("/admin/scheduling/job/")
    assert jobs.status_code == 200
    assert b"ALPHA-SCHEDULE" in jobs.content and b"BRAVO-JOB" not in jobs.content
    assert client.get("/admin/scheduling/job/?status__exact=ASSIGNED&kind__exact=TASK").status_code == 200
    detail = client.get(f"/admin/scheduling/job/{job.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get(f"/admin/scheduling/job/{foreign.pk}/change/").status_code == 302
    assert client.get("/admin/scheduling/job/add/").status_code == 403
    assert client.post(f"/admin/scheduling/job/{job.pk}/change/", {"title": "Changed"}).status_code == 403
    reminders = client.get("/admin/scheduling/reminder/")
    assert reminders.status_code == 200 and b"ALPHA-SCHEDULE" in reminders.content
    assert client.get("/admin/scheduling/reminder/add/").status_code == 403
