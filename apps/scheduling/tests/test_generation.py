"""Job generation against the real database: exact jobs per occurrence, idempotence,
replacement of the future, stopped assets, PPM look-ahead, horizons, dynamic tours.

The clock is frozen at T0 (Wednesday 4 March 2026, 06:00 UTC; 10:00 at NORTH, in Dubai,
UTC+4 all year). Schedules are made through ``services.create_schedule``, which plans
their jobs at once; the generation run is then called as the beat task would.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from django.db import transaction

from apps.assets.models import Asset
from apps.checklists.models import ChecklistVersion
from apps.checklists.services import publish_checklist, version_as_sections
from apps.core.tenancy import tenant_context
from apps.core.testing.concurrency import run_together
from apps.scheduling import generation, planning, services
from apps.scheduling.errors import ScheduleError
from apps.scheduling.models import Job, Kind, Reminder, Schedule
from apps.sites.models import SiteGroupMember
from apps.tenants.models import Tenant
from conftest import make_tenant

from .conftest import T0, Clock, World
from .factories import make_checklist, make_guard, make_schedule, make_site, make_site_group

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def jobs(schedule: Schedule, **filters: Any) -> list[Job]:
    return list(Job.objects.filter(schedule=schedule, **filters).order_by("plan_at", "seq", "pk"))


def top(schedule: Schedule) -> list[datetime]:
    """Plan times of the schedule's top-level jobs."""
    return [job.plan_at for job in jobs(schedule, parent__isnull=True)]


def task(world: World, **fields: Any) -> Schedule:
    fields.setdefault("site", world.north)
    fields.setdefault("assignee_person", world.guard)
    fields.setdefault("cron", "0 */2 * * *")
    fields.setdefault("valid_from", T0)
    return make_schedule(**fields)


def tour(world: World, stops: list[dict[str, Any]] | None = None, **fields: Any) -> Schedule:
    fields.setdefault("kind", Kind.INTERNAL_TOUR)
    fields.setdefault("checklist", world.checklist)
    fields.setdefault("cron", "0 4-22/6 * * *")  # 04:00, 10:00... in Dubai: T0 + 6n hours
    fields.setdefault("duration_minutes", 10)
    fields.setdefault("grace_minutes", 5)
    stops = stops or [{"checkpoint": cp} for cp in world.checkpoints]
    return task(world, stops=stops, **fields)


# --- tasks and the window ---------------------------------------------------------------------


def test_a_task_becomes_one_job_per_occurrence_in_the_window(world: World, clock: Clock, in_tenant_a: Any) -> None:
    schedule = task(world, name="Gate check", priority="HIGH", scan_type="NFC", checklist=world.audit, asset=world.pump)
    found = jobs(schedule)
    # Every even hour of Dubai (= every even UTC hour) from T0 for 48 hours.
    assert [job.plan_at for job in found] == [T0 + 2 * n * H for n in range(24)]
    first = found[0]
    assert (
        first.kind,
        first.origin,
        first.status,
        first.title,
        first.site_id,
        first.asset_id,
        first.assignee_person_id,
        first.assignee_team_id,
        first.priority,
        first.scan_type,
        first.occurrence_at,
        first.seq,
        first.parent_id,
        first.duration_minutes,
        first.expires_at,
        first.checklist_version_id,
        first.miss_pending,
    ) == (
        "TASK",
        "SCHEDULED",
        "ASSIGNED",
        "Gate check",
        world.north.pk,
        world.pump.pk,
        world.guard.pk,
        None,
        "HIGH",
        "NFC",
        T0,
        0,
        None,
        30,
        T0 + 45 * M,
        world.audit.current_version_id,
        False,
    )
    assert first.uuid is not None and first.version > 0
    assert len({job.uuid for job in found}) == 24
    schedule.refresh_from_db()
    assert schedule.generated_until == T0 + 48 * H


def test_a_rerun_creates_nothing_and_the_next_run_only_the_new_hours(
    world: World, clock: Clock, in_tenant_a: Any
) -> None:
    schedule = task(world)
    tour_schedule = tour(world)
    before = Job.objects.count()
    assert before == 24 + 8 * 4
    assert generation.generate_tenant() == 0
    assert Job.objects.count() == before
    clock.advance(hours=1)
    assert generation.generate_tenant() == 1 + 4  # 48 hours on: the task, and the tour with its 3 stops
    assert (top(schedule)[-1], top(tour_schedule)[-1]) == (T0 + 48 * H, T0 + 48 * H)
    clock.advance(hours=1)
    assert generation.generate_tenant() == 0  # nothing fires at 49 hours
    clock.advance(hours=1)
    assert generation.generate_tenant() == 1
    assert top(schedule)[-1] == T0 + 50 * H
    assert generation.generate_tenant() == 0
    assert Job.objects.count() == before + 6


def test_lost_bookkeeping_still_creates_each_job_once(world: World, clock: Clock, in_tenant_a: Any) -> None:
    ppm = make_schedule(
        kind=Kind.PPM,
        site=world.north,
        asset=world.pump,
        checklist=world.maintenance,
        assignee_person=world.guard,
        cron="0 12 * * *",
        valid_from=T0,
        reminder_offsets=[60],
    )
    tour_schedule = tour(world)
    counts = (Job.objects.count(), Reminder.objects.count())
    Schedule.objects.update(generated_until=None)
    # Every occurrence is computed again; the unique key turns each insert into nothing,
    # and stops and reminders are only made for parents this run inserted.
    assert generation.generate_tenant() == 0
    assert (Job.objects.count(), Reminder.objects.count()) == counts
    assert len(jobs(tour_schedule)) == 8 * 4
    assert len(jobs(ppm)) == 2


def _fresh_schedules(world: World) -> tuple[int, int]:
    """Three tours, three tasks and a PPM with reminders, with their jobs removed again;
    returns the (jobs, reminders) a generation run makes of them."""
    with tenant_context(world.tenant):
        for n in range(3):
            tour(world, name=f"Tour {n}")
            task(world, name=f"Task {n}")
        make_schedule(
            kind=Kind.PPM,
            site=world.north,
            asset=world.pump,
            checklist=world.maintenance,
            assignee_person=world.guard,
            cron="0 */8 * * *",
            valid_from=T0,
            reminder_offsets=[60, 120],
        )
        expected = (Job.objects.count(), Reminder.objects.count())
        Job.objects.all().delete()
        Schedule.objects.update(generated_until=None)
    return expected


def _check_once(world: World, expected: tuple[int, int]) -> None:
    with tenant_context(world.tenant):
        assert (Job.objects.count(), Reminder.objects.count()) == expected
        keys = list(Job.objects.values_list("schedule_id", "occurrence_at", "seq"))
        assert len(keys) == len(set(keys))
        parents = Job.objects.filter(kind="INTERNAL_TOUR")
        assert {p.stops.count() for p in parents} == {3}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_each_job_once(world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _fresh_schedules(world)
    assert expected == (3 * 32 + 3 * 24 + 6, 6 * 2)  # the PPM: every 8 hours for 48 + 2 hours
    monkeypatch.setattr(generation, "CHUNK_SIZE", 2)  # so the two runs interleave chunk by chunk
    results = run_together(world.tenant, generation.generate_tenant, generation.generate_tenant)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sum(created for _, created in results) == expected[0]
    _check_once(world, expected)
    with tenant_context(world.tenant):
        assert generation.generate_tenant() == 0


@pytest.mark.django_db(transaction=True)
def test_the_occurrence_key_settles_two_workers_planning_the_same_rows(world: World, clock: Clock) -> None:
    """Without the row locks (both workers took the same schedules), the unique key makes
    one insert wait for the other and then skip: each job, stop and reminder once."""
    expected = _fresh_schedules(world)

    def expand_everything() -> int:
        window = generation._window(Tenant.objects.get(pk=world.tenant.pk), clock.now)
        with transaction.atomic():
            chunk = list(Schedule.objects.select_related("site", "checklist", "asset").order_by("pk"))
            return generation._expand(chunk, window)[0]

    results = run_together(world.tenant, expand_everything, expand_everything)
    assert sorted(results) == [("ok", 0), ("ok", expected[0])], results
    _check_once(world, expected)


def test_validity_limits_the_window(world: World, clock: Clock, in_tenant_a: Any) -> None:
    later = task(world, valid_from=T0 + 40 * H)
    assert top(later) == [T0 + 40 * H, T0 + 42 * H, T0 + 44 * H, T0 + 46 * H]
    ending = task(world, valid_until=T0 + 5 * H)
    assert top(ending) == [T0, T0 + 2 * H, T0 + 4 * H]
    clock.advance(hours=6)
    assert generation.generate_tenant() == 3  # `later` only: 48, 50 and 52 hours on
    assert top(ending) == [T0, T0 + 2 * H, T0 + 4 * H]


def test_dst_change_in_the_site_zone(world: World, clock: Clock, in_tenant_a: Any) -> None:
    clock.set(utc(2026, 3, 28, 0, 0))
    schedule = task(world, site=world.south, assignee_person=world.south_guard, cron="30 1 * * *", valid_from=clock.now)
    # London skips 01:00-02:00 on 29 March: the 01:30 job runs once, at 02:00 BST.
    assert top(schedule) == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0)]


# --- tours --------------------------------------------------------------------------------------


def test_internal_tour_stops_follow_each_other(world: World, clock: Clock, in_tenant_a: Any) -> None:
    own = make_checklist(code="CL-STOP")
    cp1, cp2, cp3 = world.checkpoints
    schedule = tour(
        world,
        name="Night round",
        stops=[
            {"checkpoint": cp1},
            {"checkpoint": cp2, "offset_minutes": 5, "duration_minutes": 20, "grace_minutes": 0, "checklist": own},
            {"checkpoint": cp3, "offset_minutes": 10, "grace_minutes": 30},
        ],
    )
    found = jobs(schedule, occurrence_at=T0)
    version, own_version = world.checklist.current_version_id, own.current_version_id
    assert [
        (
            j.seq,
            j.kind,
            j.title,
            j.plan_at,
            j.duration_minutes,
            j.expires_at,
            j.asset_id,
            j.checklist_version_id,
            j.site_id,
            j.occurrence_at,
        )
        for j in found
    ] == [
        (0, "INTERNAL_TOUR", "Night round", T0, 55, T0 + 85 * M, None, version, world.north.pk, T0),
        (1, "STOP", "Night round: North checkpoint 1", T0, 10, T0 + 15 * M, cp1.pk, version, world.north.pk, T0),
        (
            2,
            "STOP",
            "Night round: North checkpoint 2",
            T0 + 15 * M,
            20,
            T0 + 35 * M,
            cp2.pk,
            own_version,
            world.north.pk,
            T0,
        ),
        (
            3,
            "STOP",
            "Night round: North checkpoint 3",
            T0 + 45 * M,
            10,
            T0 + 85 * M,
            cp3.pk,
            version,
            world.north.pk,
            T0,
        ),
    ]
    parent = found[0]
    assert all(stop.parent_id == parent.pk for stop in found[1:])
    assert {(j.assignee_person_id, j.priority, j.scan_type, j.status) for j in found} == {
        (world.guard.pk, "MEDIUM", "QR", "ASSIGNED")
    }
    # The same shape at every occurrence (every 6 hours, 8 in 48 hours).
    assert top(schedule) == [T0 + 6 * n * H for n in range(8)]
    assert Job.objects.filter(schedule=schedule, kind="STOP").count() == 24


def test_the_parent_expires_with_its_latest_stop(world: World, clock: Clock, in_tenant_a: Any) -> None:
    cp1, cp2, _ = world.checkpoints
    schedule = tour(world, stops=[{"checkpoint": cp1, "grace_minutes": 120}, {"checkpoint": cp2}])
    parent, first, second = jobs(schedule, occurrence_at=T0)
    assert (first.expires_at, second.expires_at) == (T0 + 130 * M, T0 + 25 * M)
    assert (parent.duration_minutes, parent.expires_at) == (20, T0 + 130 * M)


def test_external_tour_in_member_order_with_rounds_and_break(world: World, clock: Clock, in_tenant_a: Any) -> None:
    guard = make_guard(group=world.route)
    schedule = make_schedule(
        kind=Kind.EXTERNAL_TOUR,
        name="Patrol",
        site_group=world.route,
        assignee_person=guard,
        cron="0 8 * * *",  # the tenant's zone: UTC
        valid_from=T0,
        duration_minutes=20,
        grace_minutes=5,
        travel_minutes=10,
        break_minutes=60,
        rounds=2,
        checklist=world.checklist,
    )
    at = utc(2026, 3, 4, 8)
    found = jobs(schedule, occurrence_at=at)
    north, south = world.north.pk, world.south.pk
    assert [(j.seq, j.kind, j.title, j.site_id, j.plan_at, j.duration_minutes, j.expires_at) for j in found] == [
        (0, "EXTERNAL_TOUR", "Patrol", north, at, 160, at + 165 * M),
        (1, "STOP", "Patrol: North Gate", north, at, 20, at + 25 * M),
        (2, "STOP", "Patrol: South Yard", south, at + 30 * M, 20, at + 55 * M),
        # The second round starts an hour's break after the first round's last visit.
        (3, "STOP", "Patrol: North Gate", north, at + 110 * M, 20, at + 135 * M),
        (4, "STOP", "Patrol: South Yard", south, at + 140 * M, 20, at + 165 * M),
    ]
    assert {j.checklist_version_id for j in found} == {world.checklist.current_version_id}
    assert {j.asset_id for j in found} == {None}
    assert top(schedule) == [utc(2026, 3, 4, 8), utc(2026, 3, 5, 8)]


def test_external_tour_random_order_is_reproducible_per_occurrence(
    world: World, clock: Clock, in_tenant_a: Any
) -> None:
    extra = [make_site(f"EAST{n}", name=f"East {n}") for n in range(1, 5)]
    route = make_site_group([world.north, world.south, *extra], code="WIDE")
    guard = make_guard(group=route)
    schedule = make_schedule(
        kind=Kind.EXTERNAL_TOUR,
        site_group=route,
        assignee_person=guard,
        cron="0 2-22/4 * * *",  # the tenant's zone (UTC): T0 + 4n hours
        valid_from=T0,
        random_order=True,
        rounds=2,
        checklist=world.checklist,
    )
    members = [world.north.pk, world.south.pk, *(site.pk for site in extra)]
    orders = []
    for occurrence in [T0 + 4 * n * H for n in range(12)]:
        expected = list(members)
        random.Random(f"{schedule.pk}:{occurrence.isoformat()}").shuffle(expected)
        found = jobs(schedule, occurrence_at=occurrence)
        visited = [j.site_id for j in found[1:]]
        assert visited == expected + expected, occurrence  # the same order in both rounds
        assert found[0].site_id == expected[0]
        assert [j.seq for j in found] == list(range(13))
        orders.append(tuple(expected))
    assert len(set(orders)) > 1  # it is random across occurrences
    # Planned again (after an edit), every occurrence gets the same order back.
    before = [(j.occurrence_at, j.seq, j.site_id) for j in jobs(schedule)]
    assert generation.replace_future_jobs(schedule) == len(before) - 13  # not the one at T0: it is not future
    assert [(j.occurrence_at, j.seq, j.site_id) for j in jobs(schedule)] == before


def test_inactive_member_sites_are_not_visited(world: World, clock: Clock, in_tenant_a: Any) -> None:
    guard = make_guard(group=world.route)
    schedule = make_schedule(
        kind=Kind.EXTERNAL_TOUR, site_group=world.route, assignee_person=guard, cron="0 8 * * *", valid_from=T0
    )
    world.north.is_active = False
    world.north.save()
    clock.advance(hours=48)
    generation.generate_tenant()
    newest = jobs(schedule, occurrence_at=utc(2026, 3, 6, 8))
    assert [(j.seq, j.site_id) for j in newest] == [(0, world.south.pk), (1, world.south.pk)]


def test_tour_limit_and_planning_errors() -> None:
    class Shape:
        pk, kind, name = 1, Kind.EXTERNAL_TOUR, "Route"
        duration_minutes, grace_minutes, travel_minutes, break_minutes, rounds = 10, 5, 0, 0, 3
        random_order, asset_id, assignee_person_id, assignee_team_id, site_id = False, None, 7, None, None
        priority, scan_type = "LOW", "GPS"
        reminder_offsets: list[int] = []

    members = [planning.Member(n, f"Site {n}") for n in range(67)]
    with pytest.raises(ScheduleError) as caught:
        planning.plan_schedule(Shape(), checklist_version_id=None, members=members)
    assert caught.value.code == "too_many_stops"
    assert str(caught.value) == "A tour has at most 200 stops; 67 sites x 3 rounds is 201."
    assert len(planning.plan_schedule(Shape(), checklist_version_id=None, members=members[:66]).stops) == 198
    with pytest.raises(ScheduleError) as caught:
        planning.plan_schedule(Shape(), checklist_version_id=None, members=[])
    assert caught.value.code == "site_group_required"


def test_a_schedule_that_cannot_be_planned_is_skipped_and_retried(world: World, clock: Clock, in_tenant_a: Any) -> None:
    guard = make_guard(group=world.route)
    broken = make_schedule(
        kind=Kind.EXTERNAL_TOUR, site_group=world.route, assignee_person=guard, cron="0 8 * * *", valid_from=T0
    )
    fine = task(world)
    SiteGroupMember.objects.filter(group=world.route).delete()
    Schedule.objects.update(generated_until=None)
    Job.objects.all().delete()
    with structlog.testing.capture_logs() as logs:
        assert generation.generate_tenant() == 24
    assert {(e["event"], e.get("schedule_id"), e.get("reason")) for e in logs if "scheduling" in e["event"]} == {
        ("scheduling.schedule_skipped", broken.pk, "site_group_required")
    }
    assert len(top(fine)) == 24
    broken.refresh_from_db()
    assert broken.generated_until is None


def test_a_broken_cron_in_the_table_is_skipped_and_logged(world: World, clock: Clock, in_tenant_a: Any) -> None:
    seconds = task(world)
    bad = task(world)
    fine = task(world)
    Schedule.objects.filter(pk=seconds.pk).update(cron="0 0 */2 * * *", generated_until=None)
    Schedule.objects.filter(pk=bad.pk).update(cron="0 0 31 2 *", generated_until=None)
    Job.objects.all().delete()
    Schedule.objects.filter(pk=fine.pk).update(generated_until=None)
    with structlog.testing.capture_logs() as logs:
        assert generation.generate_tenant() == 24
    assert sorted((e["schedule_id"], e["reason"]) for e in logs if e["event"] == "scheduling.schedule_skipped") == [
        (
            seconds.pk,
            "A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            "this one has 6 (a seconds field is not supported).",
        ),
        (bad.pk, "Bad day-of-month"),
    ]
    assert (len(top(seconds)), len(top(bad)), len(top(fine))) == (0, 0, 24)


# --- checklist versions ---------------------------------------------------------------------------


def test_jobs_keep_the_checklist_version_they_were_planned_with(world: World, clock: Clock, in_tenant_a: Any) -> None:
    schedule = task(world, checklist=world.checklist)
    v1 = world.checklist.current_version_id
    sections = version_as_sections(ChecklistVersion.objects.get(pk=v1))
    v2 = publish_checklist(world.checklist, name="Gate check v2", kind="CHECKLIST", sections=sections).pk
    assert v2 != v1
    assert {j.checklist_version_id for j in jobs(schedule)} == {v1}
    clock.advance(hours=2)
    assert generation.generate_tenant() == 1
    found = jobs(schedule)
    assert [j.checklist_version_id for j in found] == [v1] * 24 + [v2]


# --- replacing, disabling, stopped assets ---------------------------------------------------------


def test_replacing_the_future_keeps_started_finished_and_past_jobs(
    world: World, clock: Clock, in_tenant_a: Any
) -> None:
    schedule = tour(world)  # every 6 hours from T0, 3 stops
    clock.advance(hours=1)  # the T0 tour is in the past now
    occurrences = [T0 + 6 * n * H for n in range(8)]
    started = Job.objects.get(schedule=schedule, occurrence_at=occurrences[1], seq=0)
    Job.objects.filter(pk=started.pk).update(status="INPROGRESS", started_at=clock.now)
    finished = Job.objects.get(schedule=schedule, occurrence_at=occurrences[2], seq=0)
    Job.objects.filter(pk=finished.pk).update(status="COMPLETED", started_at=clock.now, ended_at=clock.now)
    stop_touched = Job.objects.get(schedule=schedule, occurrence_at=occurrences[3], seq=2)
    Job.objects.filter(pk=stop_touched.pk).update(status="COMPLETED", ended_at=clock.now)
    kept = {j.pk for j in Job.objects.filter(schedule=schedule, occurrence_at__in=occurrences[:4])}
    replaced = {j.pk for j in Job.objects.filter(schedule=schedule, occurrence_at__in=occurrences[4:])}
    assert len(kept) == 16 and len(replaced) == 16

    assert generation.remove_future_jobs(schedule) == 16
    assert Schedule.objects.get(pk=schedule.pk).generated_until == T0 + 48 * H  # remove alone keeps it
    assert generation.replace_future_jobs(schedule) == 16 + 4  # the four again, plus the new hour's tour
    now_ids = {j.pk for j in jobs(schedule)}
    assert kept <= now_ids and not (replaced & now_ids)
    assert top(schedule) == [*occurrences, T0 + 48 * H]
    assert Schedule.objects.get(pk=schedule.pk).generated_until == clock.now + 48 * H


def test_an_edit_through_the_service_replaces_future_jobs(world: World, clock: Clock, in_tenant_a: Any) -> None:
    schedule = task(world)
    clock.advance(minutes=30)
    updated = services.update_schedule(None, schedule, cron="0 */12 * * *", duration_minutes=60)
    # The T0 job (in the past now) stays; the future is at 00:00 and 12:00 in Dubai
    # (20:00 and 08:00 UTC), an hour long.
    assert [(j.plan_at, j.duration_minutes) for j in jobs(updated)] == [
        (T0, 30),
        (T0 + 2 * H, 60),
        (T0 + 14 * H, 60),
        (T0 + 26 * H, 60),
        (T0 + 38 * H, 60),
    ]


def test_disabling_removes_future_jobs_and_generation_skips_it(world: World, clock: Clock, in_tenant_a: Any) -> None:
    schedule = tour(world)
    clock.advance(minutes=1)
    services.disable_schedule(None, schedule)
    assert [(j.plan_at, j.seq) for j in jobs(schedule)] == [(T0, 0), (T0, 1), (T0 + 10 * M, 2), (T0 + 20 * M, 3)]
    clock.advance(hours=12)
    assert generation.generate_tenant() == 0
    assert len(jobs(schedule)) == 4


def test_a_scrapped_asset_stops_its_ppm(world: World, clock: Clock, in_tenant_a: Any) -> None:
    ppm = make_schedule(
        kind=Kind.PPM,
        site=world.north,
        asset=world.pump,
        checklist=world.maintenance,
        assignee_person=world.guard,
        cron="0 */12 * * *",
        valid_from=T0,
        reminder_offsets=[30],
    )
    assert top(ppm) == [T0 + 2 * H + 12 * n * H for n in range(4)]  # 12:00 and 00:00 in Dubai
    clock.advance(hours=7)  # the first job is in the past
    Asset.objects.filter(pk=world.pump.pk).update(status=Asset.Status.SCRAPPED)
    assert generation.stop_asset_work(world.pump) == 3
    assert top(ppm) == [T0 + 2 * H]
    assert Reminder.objects.filter(job__schedule=ppm).count() == 1
    clock.advance(hours=12)
    assert generation.generate_tenant() == 0
    assert top(ppm) == [T0 + 2 * H]
    # Back in service: planning resumes from now.
    Asset.objects.filter(pk=world.pump.pk).update(status=Asset.Status.WORKING)
    assert generation.generate_tenant() == 4
    assert top(ppm) == [T0 + 2 * H, *(T0 + 26 * H + 12 * n * H for n in range(4))]


def test_generation_itself_removes_the_jobs_of_an_inactive_asset(world: World, clock: Clock, in_tenant_a: Any) -> None:
    audit = task(world, asset=world.pump, checklist=world.audit)
    other = task(world)
    Asset.objects.filter(pk=world.pump.pk).update(is_active=False)
    clock.advance(minutes=1)
    assert generation.generate_tenant() == 1  # the other task's, 48 hours on
    assert top(audit) == [T0]  # only the one whose time has come
    assert len(top(other)) == 25


# --- PPM look-ahead and reminders --------------------------------------------------------------------


def test_ppm_looks_ahead_by_its_largest_reminder_offset(world: World, clock: Clock, in_tenant_a: Any) -> None:
    ppm = make_schedule(
        kind=Kind.PPM,
        site=world.north,
        asset=world.pump,
        checklist=world.maintenance,
        assignee_person=world.guard,
        cron="0 9 * * *",  # 05:00 UTC
        valid_from=T0,
        duration_minutes=120,
        reminder_offsets=[60, 3 * 1440],
    )
    days = [utc(2026, 3, d, 5) for d in range(5, 10)]
    # 48 hours plus three days ahead: 5 to 9 March.
    assert top(ppm) == days
    assert Schedule.objects.get(pk=ppm.pk).generated_until == T0 + 48 * H + 3 * 24 * H
    reminders = list(Reminder.objects.filter(job__schedule=ppm).order_by("remind_at", "offset_minutes"))
    assert [(r.job.plan_at, r.offset_minutes, r.remind_at, r.status, r.error) for r in reminders] == sorted(
        [
            (
                day,
                offset,
                day - offset * M,
                *(("SKIPPED", "planned too late") if day - offset * M < T0 else ("PENDING", "")),
            )
            for day in days
            for offset in (60, 4320)
        ],
        key=lambda row: (row[2], row[1]),
    )
    # An hour later the window has moved past no occurrence.
    clock.advance(hours=1)
    assert generation.generate_tenant() == 0
    clock.advance(hours=23)
    assert generation.generate_tenant() == 1
    assert top(ppm)[-1] == utc(2026, 3, 10, 5)


# --- horizon ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "hours"),
    [
        (None, 48),
        ({}, 48),
        ({"scheduling": {}}, 48),
        ({"scheduling": {"horizon_hours": 6}}, 6),
        ({"scheduling": {"horizon_hours": 1}}, 1),
        ({"scheduling": {"horizon_hours": 744}}, 744),
        ({"scheduling": {"horizon_hours": 0}}, 48),
        ({"scheduling": {"horizon_hours": 745}}, 48),
        ({"scheduling": {"horizon_hours": "12"}}, 48),
        ({"scheduling": {"horizon_hours": True}}, 48),
        ({"scheduling": {"horizon_hours": 12.5}}, 48),
        ({"scheduling": "72"}, 48),
        ([], 48),
    ],
)
def test_horizon_hours(settings: Any, hours: int) -> None:
    assert generation.horizon_hours(settings if settings is not None else {}) == hours


def test_the_tenant_horizon_is_honoured(world: World, clock: Clock, tenant_a: Tenant) -> None:
    tenant_a.settings = {"scheduling": {"horizon_hours": 6}}
    tenant_a.save()
    with tenant_context(tenant_a):
        assert generation.horizon_hours() == 6
        schedule = task(world, cron="0 * * * *")
        assert top(schedule) == [T0 + n * H for n in range(6)]
    tenant_a.settings = {"scheduling": {"horizon_hours": "a week"}}
    tenant_a.save()
    with tenant_context(tenant_a), structlog.testing.capture_logs() as logs:
        assert generation.generate_tenant() == 42
        assert top(schedule)[-1] == T0 + 47 * H
    assert {"event": "scheduling.horizon_setting_ignored", "value": "a week", "log_level": "warning"} in logs


# --- tenants -------------------------------------------------------------------------------------


def test_generate_all_covers_every_tenant_and_survives_a_failing_one(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_a = world.tenant
    tenant_b = make_tenant("bravo")
    with tenant_context(tenant_b):
        site = make_site("B1")
        b_schedule = make_schedule(site=site, assignee_person=make_guard(site), valid_from=T0, cron="0 0 * * *")
        Job.objects.all().delete()
        Schedule.objects.update(generated_until=None)
        b_id = b_schedule.pk
    with tenant_context(tenant_a):
        a_schedule = task(world)
        Job.objects.all().delete()
        Schedule.objects.update(generated_until=None)
        assert Job.objects.count() == 0

    tenants = Tenant.objects.filter(is_active=True).count()
    run = generation.generate_all()
    assert (run.failed, len(run.results), run.total) == ({}, tenants, {"created": 24 + 2, "schedules": 2})
    assert (run.results["alpha"], run.results["bravo"]) == (
        {"created": 24, "schedules": 1},
        {"created": 2, "schedules": 1},
    )
    with tenant_context(tenant_b):
        assert list(Job.objects.order_by().values_list("schedule_id", flat=True).distinct()) == [b_id]
    with tenant_context(tenant_a):
        assert list(Job.objects.order_by().values_list("schedule_id", flat=True).distinct()) == [a_schedule.pk]

    real = generation._generate

    def fail_for_a(window: Any) -> tuple[int, int]:
        if window.tenant_id == tenant_a.pk:
            raise RuntimeError("boom")
        return real(window)

    monkeypatch.setattr(generation, "_generate", fail_for_a)
    clock.advance(hours=24)
    with structlog.testing.capture_logs() as logs:
        run = generation.generate_all()
    assert run.as_dict() == {
        "task": "scheduling.generate_jobs",
        "tenants": tenants,
        "done": tenants - 1,
        "failed": {"alpha": "RuntimeError"},
        "total": {"created": 1, "schedules": 1},
        "results": {"bravo": {"created": 1, "schedules": 1}},
    }
    assert [(e["event"], e["tenant"], e["task"]) for e in logs if e["log_level"] == "error"] == [
        ("task.tenant_failed", "alpha", "scheduling.generate_jobs")
    ]


# --- dynamic tours -----------------------------------------------------------------------------------


def test_dynamic_instances_one_at_a_time(world: World, clock: Clock, in_tenant_a: Any) -> None:
    cp1, cp2, _ = world.checkpoints
    schedule = tour(
        world, stops=[{"checkpoint": cp1}, {"checkpoint": cp2, "offset_minutes": 5}], cron="", is_dynamic=True
    )
    first = Job.objects.get(schedule=schedule, parent__isnull=True)
    assert (first.origin, first.plan_at, first.occurrence_at, first.kind) == ("DYNAMIC", T0, T0, "INTERNAL_TOUR")
    assert [(j.seq, j.plan_at, j.expires_at, j.origin, j.parent_id) for j in jobs(schedule, parent__isnull=False)] == [
        (1, T0, T0 + 15 * M, "DYNAMIC", first.pk),
        (2, T0 + 15 * M, T0 + 30 * M, "DYNAMIC", first.pk),
    ]
    assert generation.plan_dynamic_instance(schedule, T0 + H) is None  # one is open
    assert generation.replace_future_jobs(schedule) == 0  # still open: nothing new
    assert generation.generate_tenant() == 0  # dynamic tours are not cron-driven
    Job.objects.filter(schedule=schedule).update(status="COMPLETED")
    done_at = T0 + 40 * M
    second = generation.plan_dynamic_instance(schedule, done_at)
    assert second is not None
    assert (second.plan_at, second.occurrence_at, second.expires_at, second.duration_minutes) == (
        done_at,
        done_at,
        done_at + 30 * M,
        25,
    )
    assert second.stops.count() == 2
    not_dynamic = task(world)
    assert generation.plan_dynamic_instance(not_dynamic, T0) is None
    Schedule.objects.filter(pk=schedule.pk).update(is_active=False)
    Job.objects.filter(schedule=schedule).update(status="COMPLETED")
    assert generation.plan_dynamic_instance(schedule, T0 + 2 * H) is None


def test_a_dynamic_tour_whose_instance_was_auto_closed_gets_the_next_one(
    world: World, clock: Clock, in_tenant_a: Any
) -> None:
    from apps.scheduling import autoclose

    cp1, cp2, _ = world.checkpoints
    schedule = tour(world, stops=[{"checkpoint": cp1}, {"checkpoint": cp2}], cron="", is_dynamic=True)
    first = Job.objects.get(schedule=schedule, parent__isnull=True)
    clock.set(first.expires_at + M)
    assert autoclose.autoclose_tenant() == 3  # the tour and its two stops
    assert generation.generate_tenant() == 3  # the next instance: a tour of two stops
    second = Job.objects.get(schedule=schedule, parent__isnull=True, status="ASSIGNED")
    assert (second.plan_at, second.origin) == (first.expires_at + M, "DYNAMIC")
    assert generation.generate_tenant() == 0  # one open instance at a time
    Schedule.objects.filter(pk=schedule.pk).update(is_active=False)
    Job.objects.filter(pk=second.pk).update(status="COMPLETED")
    assert generation.generate_tenant() == 0  # a disabled dynamic tour is not revived


def test_a_checkpoint_taken_out_of_service_leaves_the_future_tours(
    world: World, clock: Clock, in_tenant_a: Any
) -> None:
    from apps.assets.services import deactivate_asset

    cp1, cp2, cp3 = world.checkpoints
    schedule = tour(world)
    parents = jobs(schedule, parent__isnull=True)
    assert len(parents) == 8
    started = parents[0]
    Job.objects.filter(pk=started.pk).update(status="INPROGRESS", started_at=T0)
    clock.advance(minutes=1)
    deactivate_asset(None, cp2)
    # The tour under way keeps its three stops; every later one visits cp1 and cp3 only.
    assert [j.asset_id for j in Job.objects.filter(parent=started).order_by("seq")] == [cp1.pk, cp2.pk, cp3.pk]
    later = jobs(schedule, parent__isnull=True)[1:]
    # Planned again from a minute later: the window now reaches one more occurrence.
    assert [j.plan_at for j in later] == [p.plan_at for p in parents[1:]] + [T0 + 48 * H]
    assert {tuple(Job.objects.filter(parent=j).order_by("seq").values_list("seq", "asset_id")) for j in later} == {
        ((1, cp1.pk), (2, cp3.pk))
    }
    assert generation.generate_tenant() == 0
