"""Schedule and job services: every check with its code and field, planning on save, job
transitions and who may make them, ad-hoc jobs, previews, and the asset hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.assets import services as asset_services
from apps.assets.models import Asset
from apps.core.errors import NotFound, PermissionDenied
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.scheduling import services
from apps.scheduling.errors import ScheduleError
from apps.scheduling.models import Job, Kind, Schedule, ScheduleStop

from .conftest import T0, Clock, World
from .factories import make_checkpoint, make_guard, make_job, make_site, make_site_group, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(world: World, clock: Clock, in_tenant_a: Any) -> World:
    """The world, at T0, inside tenant A."""
    return world


def fails(code: str, field: str | None, call: Any, *args: Any, **kwargs: Any) -> ScheduleError:
    with pytest.raises(ScheduleError) as excinfo:
        call(*args, **kwargs)
    error = excinfo.value
    assert (error.code, error.details.get("field")) == (code, field), (error.code, error.details, error.message)
    return error


def task(world: World, **fields: Any) -> dict[str, Any]:
    """A daily 09:00 (NORTH time) task for the guard, from T0."""
    return {
        "name": "Gate check",
        "kind": Kind.TASK,
        "site": world.north,
        "cron": "0 9 * * *",
        "valid_from": T0,
        "assignee_person": world.guard,
        **fields,
    }


def tour(world: World, **fields: Any) -> dict[str, Any]:
    """An hourly internal tour of NORTH's three checkpoints, 10 minutes each, 5 of grace."""
    stops = fields.pop("stops", [{"checkpoint": cp.pk} for cp in world.checkpoints])
    return {
        "name": "Night round",
        "kind": Kind.INTERNAL_TOUR,
        "site": world.north,
        "cron": "0 * * * *",
        "valid_from": T0,
        "duration_minutes": 10,
        "grace_minutes": 5,
        "checklist": world.checklist,
        "assignee_person": world.guard,
        "stops": stops,
        **fields,
    }


def external(world: World, **fields: Any) -> dict[str, Any]:
    guard = fields.pop("guard", None) or make_guard(world.north, group=world.route)
    return {
        "name": "Mobile patrol",
        "kind": Kind.EXTERNAL_TOUR,
        "site_group": world.route,
        "cron": "0 */6 * * *",
        "valid_from": T0,
        "assignee_person": guard,
        **fields,
    }


def top_jobs(schedule: Schedule) -> list[Job]:
    return list(Job.objects.filter(schedule=schedule, parent__isnull=True).order_by("plan_at", "pk"))


# --- cron and validity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ("0 0 * * * * *", "cron_invalid"),  # seven fields
        ("0 0 9 * * *", "cron_invalid"),  # a seconds field
        ("61 * * * *", "cron_invalid"),
        ("* * *", "cron_invalid"),
        ("", "cron_invalid"),  # required unless dynamic
        ("0 0 30 2 *", "cron_never_fires"),  # February 30
    ],
)
def test_bad_cron_is_refused_and_nothing_is_saved(env: World, expr: str, code: str) -> None:
    fails(code, "cron", services.create_schedule, None, **task(env, cron=expr))
    assert Schedule.objects.count() == 0


def test_cron_is_saved_normalised(env: World) -> None:
    schedule = services.create_schedule(None, **task(env, cron="  0   9 * *   * "))
    assert schedule.cron == "0 9 * * *"


def test_a_cron_that_never_fires_within_validity_is_refused(env: World) -> None:
    # 09:00 at NORTH is 05:00 UTC; the validity is 10:00-12:00 UTC of one day.
    error = fails(
        "cron_never_fires",
        "cron",
        services.create_schedule,
        None,
        **task(env, valid_from=T0 + timedelta(hours=4), valid_until=T0 + timedelta(hours=6)),
    )
    assert error.details["timezone"] == "Asia/Dubai"
    # Validity over before now: nothing can fire either.
    fails(
        "cron_never_fires",
        "cron",
        services.create_schedule,
        None,
        **task(env, valid_from=T0 - timedelta(days=10), valid_until=T0 - timedelta(days=1)),
    )


def test_a_cron_firing_once_within_validity_is_accepted(env: World) -> None:
    schedule = services.create_schedule(
        None, **task(env, valid_from=T0 + timedelta(hours=22), valid_until=T0 + timedelta(hours=24))
    )
    assert schedule.valid_until == T0 + timedelta(hours=24)


@pytest.mark.parametrize("until", [T0, T0 - timedelta(minutes=1)])
def test_valid_until_must_be_after_valid_from(env: World, until: datetime) -> None:
    fails("validity_invalid", "valid_until", services.create_schedule, None, **task(env, valid_until=until))


@pytest.mark.parametrize("value", [None, "yesterday", datetime(2026, 3, 4, 6, 0)])
def test_valid_from_must_be_an_aware_datetime(env: World, value: Any) -> None:
    code = "value_required" if value is None else "value_invalid"
    fails(code, "valid_from", services.create_schedule, None, **task(env, valid_from=value))


# --- kinds, sites, assets --------------------------------------------------------------------------


def test_kind_must_be_known(env: World) -> None:
    fails("kind_invalid", "kind", services.create_schedule, None, **task(env, kind="PATROL"))


@pytest.mark.parametrize("kind", [Kind.TASK, Kind.SITE_REPORT, Kind.PPM, Kind.INTERNAL_TOUR])
def test_site_kinds_need_a_site(env: World, kind: str) -> None:
    fails("site_required", "site", services.create_schedule, None, **task(env, kind=kind, site=None))


def test_only_external_tours_have_a_site_group(env: World) -> None:
    fails("value_invalid", "site_group", services.create_schedule, None, **task(env, site_group=env.route))


def test_external_tour_needs_a_site_group_and_no_site_or_stops(env: World) -> None:
    fails("site_group_required", "site_group", services.create_schedule, None, **external(env, site_group=None))
    fails("value_invalid", "site", services.create_schedule, None, **external(env, site=env.north))
    fails(
        "value_invalid",
        "stops",
        services.create_schedule,
        None,
        **external(env, stops=[{"checkpoint": env.checkpoints[0].pk}]),
    )


def test_a_site_group_without_active_sites_is_refused(env: World) -> None:
    closed = make_site("CLOSED", is_active=False)
    group = make_site_group([closed], code="EMPTY")
    fails("site_group_required", "site_group", services.create_schedule, None, **external(env, site_group=group))


def test_a_site_of_another_tenant_or_out_of_sight_is_unknown(env: World, tenant_b: Any) -> None:
    with tenant_context(tenant_b):
        foreign = make_site("FOREIGN")
    fails("unknown_site", "site", services.create_schedule, None, **task(env, site=foreign.pk))
    # The supervisor plans NORTH only.
    fails("unknown_site", "site", services.create_schedule, env.supervisor, **task(env, site=env.south))
    inactive = make_site("SHUT", is_active=False)
    fails("unknown_site", "site", services.create_schedule, None, **task(env, site=inactive))
    fails("unknown_site", "site", services.create_schedule, None, **task(env, site="north"))


def test_ppm_needs_an_active_asset_of_its_site(env: World) -> None:
    ppm = task(env, kind=Kind.PPM, checklist=env.maintenance)
    fails("asset_required", "asset", services.create_schedule, None, **ppm)
    fails("asset_required", "asset", services.create_schedule, None, **{**ppm, "asset": env.checkpoints[0]})
    south_pump = Asset.objects.create(site=env.south, code="PUMP-S", name="South pump")
    fails("asset_wrong_site", "asset", services.create_schedule, None, **{**ppm, "asset": south_pump})
    Asset.objects.filter(pk=env.pump.pk).update(status=Asset.Status.SCRAPPED)
    error = fails("asset_scrapped", "asset", services.create_schedule, None, **{**ppm, "asset": env.pump})
    assert error.message == "Asset PUMP-1 is scrapped; no work is planned on it."
    Asset.objects.filter(pk=env.pump.pk).update(status=Asset.Status.WORKING, is_active=False)
    error = fails("asset_scrapped", "asset", services.create_schedule, None, **{**ppm, "asset": env.pump})
    assert error.message == "Asset PUMP-1 is inactive; no work is planned on it."
    assert Schedule.objects.count() == 0


def test_tours_and_site_reports_take_no_asset(env: World) -> None:
    fails(
        "value_invalid",
        "asset",
        services.create_schedule,
        None,
        **task(env, kind=Kind.SITE_REPORT, checklist=env.site_report, asset=env.pump),
    )


def test_only_tours_are_dynamic_and_dynamic_tours_have_no_cron(env: World) -> None:
    fails("dynamic_not_tour", "is_dynamic", services.create_schedule, None, **task(env, is_dynamic=True, cron=""))
    fails("cron_invalid", "cron", services.create_schedule, None, **tour(env, is_dynamic=True))


def test_unknown_fields_are_refused(env: World) -> None:
    error = fails("unknown_fields", "colour", services.create_schedule, None, **task(env, colour="red"))
    assert error.details["fields"] == ["colour"]


def test_name_is_required_and_limited(env: World) -> None:
    fails("value_required", "name", services.create_schedule, None, **task(env, name="   "))
    error = fails("value_out_of_range", "name", services.create_schedule, None, **task(env, name="x" * 201))
    assert error.details["max_length"] == 200


# --- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "bounds"),
    [
        ("duration_minutes", 0, (1, 10080)),
        ("duration_minutes", 10081, (1, 10080)),
        ("duration_minutes", True, (1, 10080)),
        ("duration_minutes", "30", (1, 10080)),
        ("grace_minutes", -1, (0, 10080)),
        ("grace_minutes", 10081, (0, 10080)),
        ("rounds", 0, (1, 3)),
        ("rounds", 4, (1, 3)),
        ("break_minutes", 1441, (0, 1440)),
        ("travel_minutes", -5, (0, 1440)),
    ],
)
def test_numbers_out_of_range(env: World, field: str, value: Any, bounds: tuple[int, int]) -> None:
    error = fails("value_out_of_range", field, services.create_schedule, None, **task(env, **{field: value}))
    assert (error.details["min"], error.details["max"]) == bounds


@pytest.mark.parametrize(
    ("offsets", "code"),
    [([0], "value_out_of_range"), ([43201], "value_out_of_range"), ([1, 2, 3, 4, 5, 6], "value_out_of_range")],
)
def test_reminder_offsets_are_limited(env: World, offsets: list[int], code: str) -> None:
    ppm = task(env, kind=Kind.PPM, asset=env.pump, checklist=env.maintenance, reminder_offsets=offsets)
    fails(code, "reminder_offsets", services.create_schedule, None, **ppm)


def test_reminder_offsets_are_kept_distinct_earliest_first_and_only_for_ppm(env: World) -> None:
    fails("value_invalid", "reminder_offsets", services.create_schedule, None, **task(env, reminder_offsets=[60]))
    ppm = services.create_schedule(
        None,
        **task(env, kind=Kind.PPM, asset=env.pump, checklist=env.maintenance, reminder_offsets=[60, 1440, 60, 43200]),
    )
    assert ppm.reminder_offsets == [43200, 1440, 60]


def test_notify_people_must_be_active_people_of_the_tenant(env: World) -> None:
    error = fails(
        "unknown_person",
        "notify_person_ids",
        services.create_schedule,
        None,
        **task(env, notify_person_ids=[env.admin.pk, 999999]),
    )
    assert error.details["ids"] == [999999]
    many = list(range(1, 22))
    fails(
        "value_out_of_range", "notify_person_ids", services.create_schedule, None, **task(env, notify_person_ids=many)
    )
    schedule = services.create_schedule(None, **task(env, notify_person_ids=[env.admin.pk, env.admin.pk]))
    assert schedule.notify_person_ids == [env.admin.pk]


@pytest.mark.parametrize(("field", "value"), [("priority", "URGENT"), ("scan_type", "RFID")])
def test_choices_are_checked(env: World, field: str, value: str) -> None:
    error = fails("value_invalid", field, services.create_schedule, None, **task(env, **{field: value}))
    assert value not in error.details["choices"]


# --- checklists ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "checklist", "allowed"),
    [
        (Kind.TASK, "site_report", ["CHECKLIST", "ASSET_AUDIT"]),
        (Kind.SITE_REPORT, "checklist", ["SITE_REPORT"]),
        (Kind.PPM, "site_report", ["ASSET_MAINTENANCE", "CHECKLIST"]),
        (Kind.INTERNAL_TOUR, "maintenance", ["CHECKLIST"]),
    ],
)
def test_checklist_of_the_wrong_kind(env: World, kind: str, checklist: str, allowed: list[str]) -> None:
    fields = tour(env) if kind == Kind.INTERNAL_TOUR else task(env, kind=kind)
    if kind == Kind.PPM:
        fields["asset"] = env.pump
    fields["checklist"] = getattr(env, checklist)
    error = fails("checklist_wrong_kind", "checklist", services.create_schedule, None, **fields)
    assert error.details["allowed"] == allowed
    assert error.details["kind"] == getattr(env, checklist).kind


def test_stop_checklist_must_be_a_checklist(env: World) -> None:
    stops = [{"checkpoint": env.checkpoints[0].pk, "checklist": env.site_report.pk}]
    error = fails(
        "checklist_wrong_kind", "stops[0].checklist", services.create_schedule, None, **tour(env, stops=stops)
    )
    assert error.details["allowed"] == ["CHECKLIST"]


@pytest.mark.parametrize(
    ("kind", "checklist"),
    [(Kind.TASK, "audit"), (Kind.TASK, "checklist"), (Kind.PPM, "checklist"), (Kind.SITE_REPORT, "site_report")],
)
def test_allowed_checklist_kinds(env: World, kind: str, checklist: str) -> None:
    fields = task(env, kind=kind, checklist=getattr(env, checklist))
    if kind == Kind.PPM:
        fields["asset"] = env.pump
    assert services.create_schedule(None, **fields).checklist == getattr(env, checklist)


def test_an_unknown_or_inactive_checklist(env: World) -> None:
    fails("unknown_checklist", "checklist", services.create_schedule, None, **task(env, checklist=999999))
    env.checklist.is_active = False
    env.checklist.save()
    fails("unknown_checklist", "checklist", services.create_schedule, None, **task(env, checklist=env.checklist))


# --- stops ---------------------------------------------------------------------------------------------------


def test_internal_tour_needs_stops(env: World) -> None:
    fails("stops_required", "stops", services.create_schedule, None, **tour(env, stops=[]))


@pytest.mark.parametrize("count", [201, 5000])
def test_too_many_stops(env: World, count: int) -> None:
    stops = [{"checkpoint": env.checkpoints[0].pk}] * count
    error = fails("too_many_stops", "stops", services.create_schedule, None, **tour(env, stops=stops))
    assert (error.details["max"], error.details["count"]) == (200, count)


def test_200_stops_are_allowed(env: World) -> None:
    stops = [{"checkpoint": env.checkpoints[n % 3].pk} for n in range(200)]
    schedule = services.create_schedule(None, **tour(env, stops=stops, cron="0 9 * * 1", duration_minutes=1))
    assert ScheduleStop.objects.filter(schedule=schedule).count() == 200


def test_external_tour_sites_times_rounds_is_limited(env: World) -> None:
    sites = [make_site(f"R{n:02d}") for n in range(67)]
    group = make_site_group(sites, code="BIG")
    guard = make_guard(sites[0], group=group)
    error = fails(
        "too_many_stops",
        "site_group",
        services.preview_occurrences,
        None,
        **external(env, site_group=group, rounds=3, guard=guard),
    )
    assert error.details["count"] == 201
    assert (
        len(services.preview_occurrences(None, count=1, **external(env, site_group=group, rounds=2, guard=guard))) == 1
    )


def test_stops_must_be_active_checkpoints_of_the_site(env: World, tenant_b: Any) -> None:
    with tenant_context(tenant_b):
        foreign = make_checkpoint(make_site("B-SITE"), "B-CP")
    retired = make_checkpoint(env.north, "N-OLD", is_active=False)
    scrapped = make_checkpoint(env.north, "N-BROKEN", status=Asset.Status.SCRAPPED)
    first = {"checkpoint": env.checkpoints[0].pk}
    for bad in (env.south_checkpoint.pk, env.pump.pk, retired.pk, scrapped.pk, foreign.pk, 999999):
        error = fails(
            "stop_wrong_site",
            "stops[1].checkpoint",
            services.create_schedule,
            None,
            **tour(env, stops=[first, {"checkpoint": bad}]),
        )
        assert error.details["checkpoint"] == bad
    error = fails(
        "stop_wrong_site",
        "stops[0].checkpoint",
        services.create_schedule,
        None,
        **tour(env, stops=[{"checkpoint": env.south_checkpoint}]),
    )
    assert error.message == f"Stop 1: checkpoint {env.south_checkpoint.pk} is not an active checkpoint of site NORTH."
    assert Schedule.objects.count() == 0


@pytest.mark.parametrize(
    ("stop", "field"),
    [
        ({"offset_minutes": 1441}, "stops[0].offset_minutes"),
        ({"duration_minutes": 0}, "stops[0].duration_minutes"),
        ({"grace_minutes": 10081}, "stops[0].grace_minutes"),
    ],
)
def test_stop_numbers_are_limited(env: World, stop: dict[str, int], field: str) -> None:
    stops = [{"checkpoint": env.checkpoints[0].pk, **stop}]
    fails("value_out_of_range", field, services.create_schedule, None, **tour(env, stops=stops))


def test_stop_fields_are_checked(env: World) -> None:
    fails(
        "value_invalid",
        "stops[0]",
        services.create_schedule,
        None,
        **tour(env, stops=[{"checkpoint": 1, "colour": "red"}]),
    )
    fails("value_required", "stops[0].checkpoint", services.create_schedule, None, **tour(env, stops=[{}]))
    fails("value_invalid", "stops", services.create_schedule, None, **tour(env, stops="1,2"))


def test_stops_are_saved_in_order(env: World) -> None:
    stops = [
        {"checkpoint": env.checkpoints[2], "offset_minutes": 5, "duration_minutes": 20, "grace_minutes": 2},
        {"checkpoint": env.checkpoints[0].pk, "checklist": env.checklist.pk},
    ]
    schedule = services.create_schedule(None, **tour(env, stops=stops))
    rows = list(
        ScheduleStop.objects.filter(schedule=schedule)
        .order_by("position")
        .values_list("position", "checkpoint_id", "checklist_id", "offset_minutes", "duration_minutes", "grace_minutes")
    )
    assert rows == [
        (1, env.checkpoints[2].pk, None, 5, 20, 2),
        (2, env.checkpoints[0].pk, env.checklist.pk, 0, None, None),
    ]


# --- assignees ------------------------------------------------------------------------------------------------


def test_one_assignee_is_required(env: World) -> None:
    fails("assignee_required", "assignee_person", services.create_schedule, None, **task(env, assignee_person=None))
    fails(
        "assignee_conflict",
        "assignee_person",
        services.create_schedule,
        None,
        **task(env, assignee_team=env.crew),
    )


def test_assignee_who_cannot_work_at_the_site(env: World) -> None:
    error = fails(
        "assignee_cannot_work_at_site",
        "assignee_person",
        services.create_schedule,
        None,
        **task(env, assignee_person=env.south_guard),
    )
    assert error.message == (
        f"Person {env.south_guard.pk} cannot work at site NORTH: an active person who performs jobs and may work "
        "there is needed."
    )
    # The supervisor sees NORTH but does not perform jobs.
    fails(
        "assignee_cannot_work_at_site",
        "assignee_person",
        services.create_schedule,
        None,
        **task(env, assignee_person=env.supervisor),
    )
    Person.objects.filter(pk=env.guard.pk).update(is_active=False)
    fails("assignee_cannot_work_at_site", "assignee_person", services.create_schedule, None, **task(env))
    fails("unknown_person", "assignee_person", services.create_schedule, None, **task(env, assignee_person=999999))


def test_a_team_needs_a_member_who_may_work_at_the_site(env: World) -> None:
    schedule = services.create_schedule(None, **task(env, assignee_person=None, assignee_team=env.crew))
    assert (schedule.assignee_person, schedule.assignee_team) == (None, env.crew)
    south_only = make_team(env.south_guard, code="SOUTHIES")
    fails(
        "assignee_cannot_work_at_site",
        "assignee_team",
        services.create_schedule,
        None,
        **task(env, assignee_person=None, assignee_team=south_only),
    )
    env.crew.is_active = False
    env.crew.save()
    fails(
        "assignee_cannot_work_at_site",
        "assignee_team",
        services.create_schedule,
        None,
        **task(env, assignee_person=None, assignee_team=env.crew),
    )


def test_external_tour_assignee_must_work_at_every_site_of_the_route(env: World) -> None:
    error = fails(
        "assignee_cannot_work_at_site",
        "assignee_person",
        services.create_schedule,
        None,
        **external(env, guard=env.guard),
    )
    assert "every site of the route (NORTH, SOUTH)" in error.message
    schedule = services.create_schedule(None, **external(env))
    assert (schedule.site, schedule.site_group) == (None, env.route)


# --- permission --------------------------------------------------------------------------------------------------


def test_only_planners_write_schedules(env: World) -> None:
    with pytest.raises(PermissionDenied):
        services.create_schedule(env.guard, **task(env))
    assert Schedule.objects.count() == 0
    schedule = services.create_schedule(env.supervisor, **task(env))
    for call in (services.disable_schedule, services.enable_schedule):
        with pytest.raises(PermissionDenied):
            call(env.guard, schedule)
    with pytest.raises(PermissionDenied):
        services.update_schedule(env.guard, schedule, name="Renamed")
    assert Schedule.objects.get(pk=schedule.pk).name == "Gate check"


# --- planning on save ----------------------------------------------------------------------------------------------


def test_create_plans_the_window(env: World) -> None:
    schedule = services.create_schedule(env.supervisor, **task(env))
    jobs = top_jobs(schedule)
    # 09:00 at NORTH (05:00 UTC): T0 is 06:00 UTC, so tomorrow and the day after within 48 h.
    assert [job.plan_at for job in jobs] == [
        datetime(2026, 3, 5, 5, 0, tzinfo=UTC),
        datetime(2026, 3, 6, 5, 0, tzinfo=UTC),
    ]
    job = jobs[0]
    assert (job.kind, job.origin, job.title, job.site_id, job.assignee_person_id, job.status) == (
        Job.Kind.TASK,
        Job.Origin.SCHEDULED,
        "Gate check",
        env.north.pk,
        env.guard.pk,
        Job.Status.ASSIGNED,
    )
    assert job.expires_at == job.plan_at + timedelta(minutes=45)


def test_a_disabled_schedule_plans_nothing(env: World) -> None:
    schedule = services.create_schedule(None, **task(env, is_active=False))
    assert top_jobs(schedule) == []


def test_update_replaces_future_unstarted_jobs_only(env: World, clock: Clock) -> None:
    schedule = services.create_schedule(None, **task(env, cron="0 * * * *"))
    jobs = top_jobs(schedule)
    assert jobs[0].plan_at == T0  # at "now": not in the future, so it stays
    started = jobs[2]  # 08:00
    services.start_job(env.guard, started)
    done = jobs[3]  # 09:00
    services.complete_job(env.guard, done)

    services.update_schedule(env.supervisor, schedule, cron="30 * * * *", name="Gate check (new)")

    remaining = top_jobs(schedule)
    kept = {job.pk: job for job in remaining if job.plan_at.minute == 0}
    assert sorted(kept) == sorted([jobs[0].pk, started.pk, done.pk])
    assert kept[started.pk].title == "Gate check"  # untouched
    new = [job for job in remaining if job.plan_at.minute == 30]
    assert new[0].plan_at == T0 + timedelta(minutes=30)
    assert {job.title for job in new} == {"Gate check (new)"}


def test_update_rechecks_the_whole_schedule(env: World) -> None:
    schedule = services.create_schedule(None, **task(env))
    # Moving the task to SOUTH: the guard does not work there.
    fails("assignee_cannot_work_at_site", "assignee_person", services.update_schedule, None, schedule, site=env.south)
    fails("kind_invalid", "kind", services.update_schedule, None, schedule, kind=Kind.PPM)
    moved = services.update_schedule(None, schedule, site=env.south, assignee_person=env.south_guard)
    assert {job.site_id for job in top_jobs(moved)} == {env.south.pk}


def test_update_keeps_stops_unless_given_and_checks_them_against_a_new_site(env: World) -> None:
    schedule = services.create_schedule(None, **tour(env, cron="0 9 * * *"))
    services.update_schedule(None, schedule, name="Renamed round")
    assert ScheduleStop.objects.filter(schedule=schedule).count() == 3
    fails(
        "stop_wrong_site",
        "stops[0].checkpoint",
        services.update_schedule,
        None,
        schedule,
        site=env.south,
        assignee_person=env.south_guard,
    )
    services.update_schedule(
        None, schedule, site=env.south, assignee_person=env.south_guard, stops=[{"checkpoint": env.south_checkpoint}]
    )
    assert list(ScheduleStop.objects.filter(schedule=schedule).values_list("checkpoint_id", flat=True)) == [
        env.south_checkpoint.pk
    ]


def test_disable_removes_future_unstarted_jobs_and_enable_plans_again(env: World) -> None:
    schedule = services.create_schedule(None, **task(env, cron="0 * * * *"))
    jobs = top_jobs(schedule)
    services.start_job(env.guard, jobs[1])
    disabled = services.disable_schedule(env.supervisor, schedule)
    assert disabled.is_active is False
    assert [job.pk for job in top_jobs(schedule)] == [jobs[0].pk, jobs[1].pk]
    assert services.disable_schedule(env.supervisor, schedule).is_active is False  # idempotent

    enabled = services.enable_schedule(env.supervisor, schedule)
    assert enabled.is_active is True
    assert len(top_jobs(schedule)) == len(jobs)


def test_enable_checks_the_schedule_as_it_stands(env: World) -> None:
    schedule = services.create_schedule(None, **task(env, is_active=False))
    Person.objects.filter(pk=env.guard.pk).update(is_active=False)
    fails("assignee_cannot_work_at_site", "assignee_person", services.enable_schedule, None, schedule)
    assert Schedule.objects.get(pk=schedule.pk).is_active is False


def test_tour_jobs_have_their_stops(env: World) -> None:
    schedule = services.create_schedule(None, **tour(env, cron="0 9 * * *"))
    parent = top_jobs(schedule)[0]
    stops = list(Job.objects.filter(parent=parent).order_by("seq"))
    assert [(stop.seq, stop.asset_id, stop.kind) for stop in stops] == [
        (1, env.checkpoints[0].pk, Job.Kind.STOP),
        (2, env.checkpoints[1].pk, Job.Kind.STOP),
        (3, env.checkpoints[2].pk, Job.Kind.STOP),
    ]
    assert [stop.plan_at - parent.plan_at for stop in stops] == [timedelta(minutes=m) for m in (0, 10, 20)]
    assert parent.expires_at == parent.plan_at + timedelta(minutes=35)


# --- dynamic tours --------------------------------------------------------------------------------------------------


def test_dynamic_tour_has_one_instance_and_completing_it_plans_the_next(env: World, clock: Clock) -> None:
    schedule = services.create_schedule(None, **tour(env, is_dynamic=True, cron=""))
    [first] = top_jobs(schedule)
    assert (first.origin, first.plan_at, first.occurrence_at) == (Job.Origin.DYNAMIC, T0, T0)
    stops = list(Job.objects.filter(parent=first).order_by("seq"))
    assert len(stops) == 3

    clock.advance(minutes=7)
    for stop in stops:
        services.complete_job(env.guard, stop)
    first.refresh_from_db()
    assert (first.status, first.ended_at) == (Job.Status.COMPLETED, T0 + timedelta(minutes=7))
    nxt = [job for job in top_jobs(schedule) if job.pk != first.pk]
    assert [(job.plan_at, job.origin, job.status) for job in nxt] == [
        (T0 + timedelta(minutes=7), Job.Origin.DYNAMIC, Job.Status.ASSIGNED)
    ]


def test_editing_a_dynamic_tour_replaces_its_unstarted_instance(env: World, clock: Clock) -> None:
    schedule = services.create_schedule(None, **tour(env, is_dynamic=True, cron=""))
    [first] = top_jobs(schedule)
    clock.advance(minutes=5)
    services.update_schedule(None, schedule, stops=[{"checkpoint": env.checkpoints[1]}])
    [second] = top_jobs(schedule)
    assert second.pk != first.pk
    assert second.plan_at == T0 + timedelta(minutes=5)
    assert list(Job.objects.filter(parent=second).values_list("asset_id", flat=True)) == [env.checkpoints[1].pk]
    # Started: it stays, and no second instance is planned beside it.
    services.start_job(env.guard, second)
    services.update_schedule(None, schedule, name="Renamed")
    assert [job.pk for job in top_jobs(schedule)] == [second.pk]
    # Disabled: nothing new when it completes.
    services.disable_schedule(None, schedule)
    for stop in Job.objects.filter(parent=second):
        services.complete_job(env.guard, stop)
    assert [job.pk for job in top_jobs(schedule)] == [second.pk]


# --- previews ----------------------------------------------------------------------------------------------------------


def test_preview_lists_the_next_occurrences_without_saving(env: World) -> None:
    occurrences = services.preview_occurrences(
        env.supervisor, count=3, **task(env, valid_from=datetime(2026, 3, 10, tzinfo=UTC))
    )
    assert occurrences == [
        {"plan_at": datetime(2026, 3, d, 5, 0, tzinfo=UTC), "expires_at": datetime(2026, 3, d, 5, 45, tzinfo=UTC)}
        for d in (10, 11, 12)
    ]
    assert Schedule.objects.count() == 0


def test_preview_starts_now_and_stops_at_valid_until(env: World) -> None:
    occurrences = services.preview_occurrences(
        None,
        count=10,
        **task(env, valid_from=T0 - timedelta(days=30), valid_until=datetime(2026, 3, 6, 5, 0, tzinfo=UTC)),
    )
    assert [o["plan_at"] for o in occurrences] == [datetime(2026, 3, 5, 5, 0, tzinfo=UTC)]


def test_preview_follows_daylight_saving_at_the_site(env: World) -> None:
    fields = task(
        env,
        site=env.south,
        assignee_person=env.south_guard,
        cron="30 1 * * *",
        valid_from=datetime(2026, 3, 28, tzinfo=UTC),
    )
    plan_at = [o["plan_at"] for o in services.preview_occurrences(None, count=3, **fields)]
    # London: 01:30 GMT; on the 29th 01:30 does not exist (clocks go to 02:00 BST = 01:00 UTC); then 01:30 BST.
    assert plan_at == [
        datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]


def test_preview_of_an_internal_tour_expires_with_its_last_stop(env: World) -> None:
    stops = [
        {"checkpoint": env.checkpoints[0], "duration_minutes": 5},  # 0-5, expires 10
        {"checkpoint": env.checkpoints[1], "offset_minutes": 10, "grace_minutes": 30},  # 15-25, expires 55
        {"checkpoint": env.checkpoints[2]},  # 25-35, expires 40
    ]
    [first] = services.preview_occurrences(
        None, count=1, **tour(env, stops=stops, valid_from=T0 + timedelta(minutes=1))
    )
    assert first == {"plan_at": T0 + timedelta(hours=1), "expires_at": T0 + timedelta(hours=1, minutes=55)}


def test_preview_of_an_external_tour_counts_rounds_travel_and_break(env: World) -> None:
    fields = external(env, duration_minutes=10, grace_minutes=5, travel_minutes=5, break_minutes=20, rounds=2)
    # Visits 0-10, 15-25, (break) 45-55, 60-70; the last expires at 75.
    [first] = services.preview_occurrences(None, count=1, **fields)
    assert first == {"plan_at": T0, "expires_at": T0 + timedelta(minutes=75)}
    assert services.schedule_timezone(fields) == "UTC"  # the tenant's zone


def test_previews_match_the_jobs_generated(env: World) -> None:
    """The preview's expiry is the planner's: compare with real jobs of the same schedules."""
    stops = [
        {"checkpoint": env.checkpoints[0], "duration_minutes": 5},
        {"checkpoint": env.checkpoints[1], "offset_minutes": 10, "grace_minutes": 30},
        {"checkpoint": env.checkpoints[2]},
    ]
    for fields in (
        tour(env, stops=stops),
        external(env, duration_minutes=10, grace_minutes=5, travel_minutes=5, break_minutes=20, rounds=3),
        task(env, cron="0 * * * *"),
    ):
        schedule = services.create_schedule(None, **fields)
        jobs = top_jobs(schedule)[:3]
        assert services.schedule_occurrences(schedule, count=3) == [
            {"plan_at": job.plan_at, "expires_at": job.expires_at} for job in jobs
        ]


def test_preview_count_is_limited_and_dynamic_tours_have_none(env: World) -> None:
    fails("value_out_of_range", "count", services.preview_occurrences, None, count=0, **task(env))
    fails("value_out_of_range", "count", services.preview_occurrences, None, count=101, **task(env))
    assert services.preview_occurrences(None, **tour(env, is_dynamic=True, cron="")) == []
    with pytest.raises(PermissionDenied):
        services.preview_occurrences(env.guard, **task(env))


def test_preview_checks_like_create(env: World) -> None:
    fails("cron_never_fires", "cron", services.preview_occurrences, None, **task(env, cron="0 0 30 2 *"))


def test_occurrences_of_a_saved_schedule(env: World) -> None:
    schedule = services.create_schedule(None, **tour(env, cron="0 9 * * *"))
    assert services.schedule_occurrences(schedule, count=2) == [
        {"plan_at": datetime(2026, 3, d, 5, 0, tzinfo=UTC), "expires_at": datetime(2026, 3, d, 5, 35, tzinfo=UTC)}
        for d in (5, 6)
    ]
    assert services.schedule_timezone(schedule) == "Asia/Dubai"
    fails("value_out_of_range", "count", services.schedule_occurrences, schedule, count=101)


# --- ad-hoc jobs -----------------------------------------------------------------------------------------------------------


def test_supervisor_creates_an_adhoc_job(env: World) -> None:
    job = services.create_adhoc_job(
        env.supervisor,
        site=env.north.pk,
        title="  Check the back door  ",
        plan_at=T0 + timedelta(hours=2),
        duration_minutes=20,
        grace_minutes=10,
        assignee_person=env.guard.pk,
        checklist=env.audit.pk,
        asset=env.pump.pk,
        priority="HIGH",
        remarks="Reported by the client.",
    )
    assert (job.kind, job.origin, job.schedule_id, job.title, job.status) == (
        Job.Kind.TASK,
        Job.Origin.AD_HOC,
        None,
        "Check the back door",
        Job.Status.ASSIGNED,
    )
    assert (job.plan_at, job.expires_at, job.duration_minutes) == (
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=2, minutes=30),
        20,
    )
    assert job.checklist_version_id == env.audit.current_version_id
    assert (job.asset_id, job.priority, job.scan_type, job.remarks) == (
        env.pump.pk,
        "HIGH",
        "SKIP",
        "Reported by the client.",
    )


def test_adhoc_job_rules(env: World) -> None:
    base = {"site": env.north, "title": "Door", "plan_at": T0, "assignee_person": env.guard}
    with pytest.raises(PermissionDenied):
        services.create_adhoc_job(env.guard, **base)
    fails("unknown_site", "site", services.create_adhoc_job, env.supervisor, **{**base, "site": env.south})
    fails("value_required", "title", services.create_adhoc_job, None, **{**base, "title": ""})
    fails(
        "value_out_of_range", "plan_at", services.create_adhoc_job, None, **{**base, "plan_at": T0 - timedelta(days=2)}
    )
    fails(
        "value_out_of_range",
        "plan_at",
        services.create_adhoc_job,
        None,
        **{**base, "plan_at": T0 + timedelta(days=400)},
    )
    fails("assignee_required", "assignee_person", services.create_adhoc_job, None, **{**base, "assignee_person": None})
    fails(
        "assignee_cannot_work_at_site",
        "assignee_person",
        services.create_adhoc_job,
        None,
        **{**base, "assignee_person": env.south_guard},
    )
    fails(
        "checklist_wrong_kind", "checklist", services.create_adhoc_job, None, **{**base, "checklist": env.site_report}
    )
    fails("value_out_of_range", "duration_minutes", services.create_adhoc_job, None, **{**base, "duration_minutes": 0})
    assert Job.objects.count() == 0


# --- job transitions -----------------------------------------------------------------------------------------------------


@pytest.fixture
def job(env: World) -> Job:
    return services.create_adhoc_job(None, site=env.north, title="Door", plan_at=T0, assignee_person=env.guard)


def test_assignee_starts_and_completes(env: World, clock: Clock, job: Job) -> None:
    clock.advance(minutes=3)
    started = services.start_job(env.guard, job)
    assert (started.status, started.started_at, started.performed_by_id) == (
        Job.Status.INPROGRESS,
        T0 + timedelta(minutes=3),
        env.guard.pk,
    )
    clock.advance(minutes=10)
    done = services.complete_job(env.guard, job, remarks="All fine")
    done.refresh_from_db()
    assert (done.status, done.started_at, done.ended_at, done.remarks) == (
        Job.Status.COMPLETED,
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=13),
        "All fine",
    )


def test_completing_without_starting_sets_both_times(env: World, job: Job) -> None:
    done = services.complete_job(env.guard, job)
    assert (done.status, done.started_at, done.ended_at) == (Job.Status.COMPLETED, T0, T0)


def test_closed_jobs_do_not_move(env: World, job: Job) -> None:
    services.start_job(env.guard, job)
    error = fails("invalid_transition", "status", services.start_job, env.guard, job)
    assert (error.status, error.details["status"]) == (409, "INPROGRESS")
    services.complete_job(env.guard, job)
    fails("invalid_transition", "status", services.complete_job, env.guard, job)
    closed = make_job(site=env.north, assignee_person=env.guard, status=Job.Status.AUTOCLOSED)
    fails("invalid_transition", "status", services.start_job, env.guard, closed)
    fails("invalid_transition", "status", services.complete_job, env.guard, closed)


def test_only_the_assignee_or_a_planner_of_the_site_moves_a_job(env: World, tenant_a: Any, job: Job) -> None:
    error = fails("job_not_assignee", "job", services.start_job, env.south_guard, job)
    assert error.status == 403
    assert Job.objects.get(pk=job.pk).status == Job.Status.ASSIGNED
    # A planner of another site: no.
    from conftest import make_persona

    other = make_persona(tenant_a, "supervisor", login="south_supervisor")
    with tenant_context(tenant_a):
        Person.objects.filter(pk=other.person.pk).update(home_site=env.south)
    south_supervisor = Person.objects.get(pk=other.person.pk)
    fails("job_not_assignee", "job", services.complete_job, south_supervisor, job)
    # The site's planner: yes.
    assert services.start_job(env.supervisor, job).performed_by_id == env.supervisor.pk


def test_a_team_member_moves_a_team_job(env: World) -> None:
    team_job = services.create_adhoc_job(None, site=env.north, title="Door", plan_at=T0, assignee_team=env.crew)
    outsider = make_guard(env.north)
    fails("job_not_assignee", "job", services.start_job, outsider, team_job)
    assert services.start_job(env.south_guard, team_job).status == Job.Status.INPROGRESS


def test_tour_stops_start_and_complete_their_tour(env: World, clock: Clock) -> None:
    schedule = services.create_schedule(None, **tour(env))
    parent = top_jobs(schedule)[1]  # 07:00
    stops = list(Job.objects.filter(parent=parent).order_by("seq"))
    clock.set(parent.plan_at)
    services.start_job(env.guard, stops[0])
    parent.refresh_from_db()
    assert (parent.status, parent.started_at) == (Job.Status.INPROGRESS, parent.plan_at)
    services.complete_job(env.guard, stops[0])
    fails("invalid_transition", "status", services.complete_job, env.guard, parent)  # two stops open
    services.complete_job(env.guard, stops[1])
    clock.advance(minutes=25)
    services.complete_job(env.guard, stops[2])
    parent.refresh_from_db()
    assert (parent.status, parent.ended_at, parent.miss_pending) == (
        Job.Status.COMPLETED,
        parent.plan_at + timedelta(minutes=25),
        False,
    )


def test_a_tour_with_a_missed_stop_ends_partially_completed(env: World) -> None:
    schedule = services.create_schedule(None, **tour(env))
    parent = top_jobs(schedule)[1]
    stops = list(Job.objects.filter(parent=parent).order_by("seq"))
    Job.objects.filter(pk=stops[0].pk).update(status=Job.Status.AUTOCLOSED)
    services.complete_job(env.guard, stops[1])
    services.complete_job(env.guard, stops[2])
    parent.refresh_from_db()
    assert (parent.status, parent.miss_pending) == (Job.Status.PARTIALLY_COMPLETED, True)
    fails("invalid_transition", "status", services.start_job, env.guard, stops[0])


def test_stops_of_a_closed_tour_do_not_move(env: World) -> None:
    schedule = services.create_schedule(None, **tour(env))
    parent = top_jobs(schedule)[1]
    stop = Job.objects.filter(parent=parent).order_by("seq").first()
    assert stop is not None
    Job.objects.filter(pk=parent.pk).update(status=Job.Status.AUTOCLOSED)
    fails("invalid_transition", "status", services.start_job, env.guard, stop)
    fails("invalid_transition", "status", services.complete_job, env.guard, stop)


# --- the asset hook -------------------------------------------------------------------------------------------------------------


def test_scrapping_an_asset_stops_its_maintenance(env: World) -> None:
    ppm = services.create_schedule(
        None, **task(env, kind=Kind.PPM, asset=env.pump, checklist=env.maintenance, cron="0 * * * *")
    )
    jobs = top_jobs(ppm)
    services.start_job(env.guard, jobs[1])
    asset_services.scrap_asset(env.admin, env.pump)
    assert [job.pk for job in top_jobs(ppm)] == [jobs[0].pk, jobs[1].pk]


def test_deactivating_an_asset_stops_its_maintenance(env: World) -> None:
    ppm = services.create_schedule(
        None, **task(env, kind=Kind.PPM, asset=env.pump, checklist=env.maintenance, cron="0 * * * *")
    )
    first = top_jobs(ppm)[0]
    asset_services.deactivate_asset(env.admin, env.pump)
    assert [job.pk for job in top_jobs(ppm)] == [first.pk]


def test_scrapping_an_asset_rolls_back_with_its_transaction(env: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ppm = services.create_schedule(None, **task(env, kind=Kind.PPM, asset=env.pump, checklist=env.maintenance))
    before = len(top_jobs(ppm))

    def boom(asset: Asset, now: Any = None) -> int:
        raise RuntimeError("planning failed")

    from apps.scheduling import generation

    monkeypatch.setattr(generation, "stop_asset_work", boom)
    with pytest.raises(RuntimeError):
        asset_services.scrap_asset(env.admin, env.pump)
    assert Asset.objects.get(pk=env.pump.pk).status == Asset.Status.WORKING
    assert len(top_jobs(ppm)) == before


def test_a_job_removed_meanwhile_is_not_found(env: World, job: Job) -> None:
    Job.objects.filter(pk=job.pk).delete()
    with pytest.raises(NotFound):
        services.start_job(env.guard, job)


def test_a_schedule_is_not_saved_when_planning_fails(env: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.scheduling import generation

    def boom(schedule: Schedule, now: Any = None) -> int:
        raise RuntimeError("planning failed")

    monkeypatch.setattr(generation, "replace_future_jobs", boom)
    with pytest.raises(RuntimeError):
        services.create_schedule(None, **tour(env))
    assert (Schedule.objects.count(), ScheduleStop.objects.count(), Job.objects.count()) == (0, 0, 0)
