"""Schedules and jobs over REST, as the console and the phone call them: exact bodies, every
error code, scope (sites, the guard's own jobs, another tenant), query counts.

The clock is frozen at T0 (Wednesday 4 March 2026, 06:00 UTC; 10:00 at NORTH, Asia/Dubai),
so the jobs planned for the next 48 hours are known to the minute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context
from apps.people.roles import create_role
from apps.people.services import create_person
from apps.scheduling.models import Job, Schedule
from apps.tenants.models import Lookup
from conftest import Persona

from .conftest import World
from .factories import make_asset, make_checklist, make_schedule, make_site_group, make_tour

pytestmark = pytest.mark.django_db

SCHEDULES = "/api/v1/schedules/"
JOBS = "/api/v1/jobs/"


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def at(day: int, hour: int, minute: int = 0) -> str:
    """An instant of March 2026 in UTC, as the API writes it."""
    return iso(datetime(2026, 3, day, hour, minute, tzinfo=UTC))  # type: ignore[return-value]


def error(response: Any) -> tuple[int, str, dict[str, Any]]:
    payload = response.json()["error"]
    return response.status_code, payload["code"], payload["details"]


def url(pk: Any, tail: str = "", base: str = SCHEDULES) -> str:
    return f"{base}{pk}/{tail}"


def schedule_row(world: World, pk: int) -> Schedule:
    with tenant_context(world.tenant):
        return Schedule.objects.get(pk=pk)


def jobs_of(world: World, **filters: Any) -> list[tuple[str, int, str, str, str]]:
    """(kind, seq, status, plan_at, expires_at) of the jobs matching ``filters``, in plan order."""
    with tenant_context(world.tenant):
        rows = Job.objects.filter(**filters).order_by("plan_at", "seq", "pk")
        return [(r.kind, r.seq, r.status, iso(r.plan_at), iso(r.expires_at)) for r in rows]  # type: ignore[misc]


def task_body(world: World, **changes: Any) -> dict[str, Any]:
    """A daily 08:00 task at NORTH (04:00 UTC) for the guard, as the console posts it."""
    return {
        "name": "Gate check",
        "kind": "TASK",
        "site": world.north.pk,
        "cron": "0 8 * * *",
        "valid_from": "2026-03-01T00:00:00Z",
        "assignee_person": world.guard.pk,
        "checklist": world.checklist.pk,
        **changes,
    }


def tour_body(world: World, **changes: Any) -> dict[str, Any]:
    """A daily 09:00 tour of NORTH's three checkpoints (05:00 UTC), 10 minutes a stop, 5 of grace."""
    cp1, cp2, cp3 = world.checkpoints
    return {
        "name": "Night round",
        "kind": "INTERNAL_TOUR",
        "site": world.north.pk,
        "cron": "0 9 * * *",
        "valid_from": "2026-03-01T00:00:00Z",
        "duration_minutes": 10,
        "grace_minutes": 5,
        "assignee_team": world.crew.pk,
        "checklist": world.checklist.pk,
        "stops": [
            {"checkpoint": cp1.pk},
            {"checkpoint": cp2.pk, "offset_minutes": 5, "duration_minutes": 20},
            {"checkpoint": cp3.pk, "grace_minutes": 0},
        ],
        **changes,
    }


def expected_schedule(row: Schedule, **values: Any) -> dict[str, Any]:
    """The representation of ``row``: volatile columns from the row, the rest as given."""
    base = {
        "id": row.pk,
        "uuid": str(row.uuid),
        "site_group": None,
        "valid_until": None,
        "duration_minutes": 30,
        "grace_minutes": 15,
        "assignee_person": None,
        "assignee_team": None,
        "priority": "MEDIUM",
        "scan_type": "QR",
        "asset": None,
        "is_dynamic": False,
        "random_order": False,
        "rounds": 1,
        "break_minutes": 0,
        "travel_minutes": 0,
        "reminder_offsets": [],
        "notify_person_ids": [],
        "email_on_miss": None,
        "ticket_on_miss": None,
        "ticket_category": None,
        "is_active": True,
        "stops": [],
        "version": row.version,
        "created_at": iso(row.created_at),
        "modified_at": iso(row.modified_at),
    }
    return {**base, **values}


def job_body(job: Job, **values: Any) -> dict[str, Any]:
    """The representation of a job: identity and audit columns from the row, the rest as given."""
    return {
        "id": job.pk,
        "uuid": str(job.uuid),
        "occurrence_at": None,
        "seq": 0,
        "parent": None,
        "asset": None,
        "asset_name": None,
        "checklist": None,
        "checklist_version": None,
        "assignee_person": None,
        "assignee_team": None,
        "assignee_name": None,
        "priority": "MEDIUM",
        "scan_type": "QR",
        "started_at": None,
        "ended_at": None,
        "performed_by": None,
        "point": None,
        "alert": False,
        "deviation": False,
        "remarks": "",
        "version": job.version,
        "created_at": iso(job.created_at),
        "modified_at": iso(job.modified_at),
        **values,
    }


def job_row(world: World, pk: int) -> Job:
    with tenant_context(world.tenant):
        return Job.objects.get(pk=pk)


@pytest.fixture
def viewer(world: World) -> Persona:
    """Sees NORTH (sites.view) and performs jobs, but plans nothing."""
    with tenant_context(world.tenant):
        role = create_role(code="site-viewer", name="Site viewer", capabilities=["sites.view", "jobs.perform"])
        person = create_person(
            login="viewer", name="Viewer", password="pw-viewer-123", roles=[role], home_site_id=world.north.pk
        )
    return Persona(person=person, tenant=world.tenant, login="viewer", password="pw-viewer-123")


# --- schedules ------------------------------------------------------------------------------


def test_a_supervisor_creates_a_task_and_its_jobs_are_planned(
    clock: Any, world: World, tenant_a_supervisor: Persona
) -> None:
    client = tenant_a_supervisor.client()
    created = client.post(SCHEDULES, task_body(world, priority="HIGH", scan_type="NFC"), format="json")
    assert created.status_code == 201, created.content
    row = schedule_row(world, created.json()["id"])
    assert created.json() == expected_schedule(
        row,
        name="Gate check",
        kind="TASK",
        site=world.north.pk,
        site_code="NORTH",
        site_name="North Gate",
        cron="0 8 * * *",
        valid_from="2026-03-01T00:00:00Z",
        assignee_person=world.guard.pk,
        assignee_name="Guard",
        priority="HIGH",
        scan_type="NFC",
        checklist=world.checklist.pk,
        generated_until="2026-03-06T06:00:00Z",
    )
    assert (row.created_by_id, row.tenant_id) == (world.supervisor.pk, world.tenant.pk)
    # 08:00 in Dubai is 04:00 UTC: today's has passed, the next two fall in the 48 hours.
    assert jobs_of(world, schedule_id=row.pk) == [
        ("TASK", 0, "ASSIGNED", at(5, 4), at(5, 4, 45)),
        ("TASK", 0, "ASSIGNED", at(6, 4), at(6, 4, 45)),
    ]
    assert client.get(url(row.pk)).json() == created.json()


def test_a_tour_is_written_with_its_stops_and_planned_stop_by_stop(
    clock: Any, world: World, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    cp1, cp2, cp3 = world.checkpoints
    client = tenant_a_supervisor.client()
    created = client.post(SCHEDULES, tour_body(world), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["assignee_team"], body["assignee_name"]) == (world.crew.pk, "Team CREW")
    assert body["stops"] == [
        {
            "position": 1,
            "checkpoint": cp1.pk,
            "checkpoint_name": "North checkpoint 1",
            "checklist": None,
            "offset_minutes": 0,
            "duration_minutes": None,
            "grace_minutes": None,
        },
        {
            "position": 2,
            "checkpoint": cp2.pk,
            "checkpoint_name": "North checkpoint 2",
            "checklist": None,
            "offset_minutes": 5,
            "duration_minutes": 20,
            "grace_minutes": None,
        },
        {
            "position": 3,
            "checkpoint": cp3.pk,
            "checkpoint_name": "North checkpoint 3",
            "checklist": None,
            "offset_minutes": 0,
            "duration_minutes": None,
            "grace_minutes": 0,
        },
    ]
    tours = tenant_a_guard.client().get(JOBS, {"schedule": body["id"], "top_level": "true"}).json()
    assert [(t["plan_at"], t["expires_at"], t["duration_minutes"]) for t in tours["results"]] == [
        (at(5, 5), at(5, 5, 45), 45),
        (at(6, 5), at(6, 5, 45), 45),
    ]
    tour_id = tours["results"][0]["id"]
    detail = tenant_a_guard.client().get(url(tour_id, base=JOBS)).json()
    version = 1
    assert [
        (
            s["seq"],
            s["kind"],
            s["title"],
            s["asset"],
            s["plan_at"],
            s["expires_at"],
            s["checklist"],
            s["checklist_version"],
        )
        for s in detail["stops"]
    ] == [
        (1, "STOP", "Night round: North checkpoint 1", cp1.pk, at(5, 5), at(5, 5, 15), world.checklist.pk, version),
        (2, "STOP", "Night round: North checkpoint 2", cp2.pk, at(5, 5, 15), at(5, 5, 40), world.checklist.pk, version),
        (3, "STOP", "Night round: North checkpoint 3", cp3.pk, at(5, 5, 35), at(5, 5, 45), world.checklist.pk, version),
    ]
    assert {s["parent"] for s in detail["stops"]} == {tour_id}
    assert (detail["kind"], detail["seq"], detail["asset_name"]) == ("INTERNAL_TOUR", 0, None)


def test_patch_replaces_future_jobs_and_delete_disables(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    client = tenant_a_supervisor.client()
    schedule_id = client.post(SCHEDULES, task_body(world), format="json").json()["id"]
    changed = client.patch(url(schedule_id), {"cron": "30 12 * * *", "grace_minutes": 0}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["cron"], changed.json()["grace_minutes"], changed.json()["name"]) == (
        "30 12 * * *",
        0,
        "Gate check",
    )
    # 12:30 in Dubai is 08:30 UTC: today's is still ahead.
    assert jobs_of(world, schedule_id=schedule_id) == [
        ("TASK", 0, "ASSIGNED", at(4, 8, 30), at(4, 9)),
        ("TASK", 0, "ASSIGNED", at(5, 8, 30), at(5, 9)),
    ]

    deleted = client.delete(url(schedule_id))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert schedule_row(world, schedule_id).is_active is False
    assert jobs_of(world, schedule_id=schedule_id) == []
    assert client.get(SCHEDULES, {"is_active": "false"}).json()["count"] == 1

    enabled = client.post(url(schedule_id, "enable/"))
    assert enabled.status_code == 200, enabled.content
    assert enabled.json()["is_active"] is True
    assert len(jobs_of(world, schedule_id=schedule_id)) == 2


def test_patch_of_the_stops_replaces_them(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    client = tenant_a_admin.client()
    schedule_id = client.post(SCHEDULES, tour_body(world), format="json").json()["id"]
    cp3 = world.checkpoints[2]
    changed = client.patch(url(schedule_id), {"stops": [{"checkpoint": cp3.pk, "duration_minutes": 15}]}, format="json")
    assert changed.status_code == 200, changed.content
    assert [(s["position"], s["checkpoint"], s["duration_minutes"]) for s in changed.json()["stops"]] == [
        (1, cp3.pk, 15)
    ]
    tour = jobs_of(world, schedule_id=schedule_id, seq=0)[0]
    assert tour == ("INTERNAL_TOUR", 0, "ASSIGNED", at(5, 5), at(5, 5, 20))


def test_preview_lists_occurrences_in_the_site_time_zone_across_daylight_saving(
    clock: Any, world: World, tenant_a_admin: Persona
) -> None:
    # London moves to summer time on 29 March 2026 at 01:00 UTC: 01:30 does not exist that
    # night, so the job runs at 02:00 BST (01:00 UTC), then 01:30 BST (00:30 UTC).
    body = task_body(
        world,
        site=world.south.pk,
        assignee_person=world.south_guard.pk,
        cron="30 1 * * *",
        valid_from="2026-03-27T00:00:00Z",
        duration_minutes=60,
        count=4,
    )
    response = tenant_a_admin.client().post(f"{SCHEDULES}preview/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "timezone": "Europe/London",
        "occurrences": [
            {"plan_at": at(27, 1, 30), "expires_at": at(27, 2, 45)},
            {"plan_at": at(28, 1, 30), "expires_at": at(28, 2, 45)},
            {"plan_at": at(29, 1), "expires_at": at(29, 2, 15)},
            {"plan_at": at(30, 0, 30), "expires_at": at(30, 1, 45)},
        ],
    }
    with tenant_context(world.tenant):
        assert Schedule.objects.count() == 0


def test_preview_of_a_tour_expires_with_its_last_stop_and_checks_like_a_create(
    clock: Any, world: World, tenant_a_supervisor: Persona
) -> None:
    client = tenant_a_supervisor.client()
    response = client.post(f"{SCHEDULES}preview/", {**tour_body(world), "count": 1}, format="json")
    assert response.json() == {
        "timezone": "Asia/Dubai",
        "occurrences": [{"plan_at": at(5, 5), "expires_at": at(5, 5, 45)}],
    }
    too_many = client.post(f"{SCHEDULES}preview/", {**tour_body(world), "count": 101}, format="json")
    assert error(too_many) == (400, "value_out_of_range", {"field": "count", "min": 1, "max": 100})
    never = client.post(
        f"{SCHEDULES}preview/", task_body(world, cron="0 0 * * *", valid_until="2026-03-04T06:30:00Z"), format="json"
    )
    assert error(never)[:2] == (400, "cron_never_fires")
    # The supervisor plans NORTH only.
    south = client.post(f"{SCHEDULES}preview/", task_body(world, site=world.south.pk), format="json")
    assert error(south)[:2] == (400, "unknown_site")


def test_occurrences_of_a_saved_schedule(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    client = tenant_a_supervisor.client()
    schedule_id = client.post(SCHEDULES, task_body(world, cron="0 */6 * * *"), format="json").json()["id"]
    response = client.get(url(schedule_id, "occurrences/"), {"count": 3})
    assert response.json() == {
        "timezone": "Asia/Dubai",
        "occurrences": [
            {"plan_at": at(4, 8), "expires_at": at(4, 8, 45)},
            {"plan_at": at(4, 14), "expires_at": at(4, 14, 45)},
            {"plan_at": at(4, 20), "expires_at": at(4, 20, 45)},
        ],
    }
    assert len(client.get(url(schedule_id, "occurrences/")).json()["occurrences"]) == 10
    assert error(client.get(url(schedule_id, "occurrences/"), {"count": 0})) == (
        400,
        "value_out_of_range",
        {"field": "count", "min": 1, "max": 100},
    )
    assert error(client.get(url(schedule_id, "occurrences/"), {"count": "many"}))[:2] == (400, "invalid")


def test_schedule_filters(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    with tenant_context(world.tenant):
        task = make_schedule(name="Gate check", site=world.north, assignee_person=world.guard)
        south = make_schedule(name="Yard sweep", site=world.south, assignee_team=world.crew)
        tour = make_tour(2, name="Night round", site=world.north, assignee_person=world.guard)
        route = make_schedule(
            name="Route visit",
            kind="EXTERNAL_TOUR",
            site_group=world.route,
            assignee_person=world.admin,
            cron="0 6 * * 1",
        )
    client = tenant_a_admin.client()

    def names(**query: Any) -> list[str]:
        response = client.get(SCHEDULES, query)
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["results"]]

    assert names() == ["Gate check", "Night round", "Route visit", "Yard sweep"]
    assert names(site=world.north.pk) == ["Gate check", "Night round"]
    assert names(site_group=world.route.pk) == ["Route visit"]
    assert names(kind=["INTERNAL_TOUR", "EXTERNAL_TOUR"]) == ["Night round", "Route visit"]
    assert names(assignee_person=world.guard.pk) == ["Gate check", "Night round"]
    assert names(assignee_team=world.crew.pk) == ["Yard sweep"]
    assert names(q="ROUT") == ["Route visit"]
    assert names(is_active="false") == []
    assert names(ordering="-name") == ["Yard sweep", "Route visit", "Night round", "Gate check"]
    assert {task.pk, south.pk, tour.pk, route.pk} == {row["id"] for row in client.get(SCHEDULES).json()["results"]}
    assert error(client.get(SCHEDULES, {"kind": "SHIFT"}))[:2] == (400, "invalid")


def test_a_supervisor_sees_the_schedules_of_their_sites_only(
    clock: Any, world: World, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    with tenant_context(world.tenant):
        north = make_schedule(name="North task", site=world.north, assignee_person=world.guard)
        south = make_schedule(name="South task", site=world.south, assignee_person=world.south_guard)
        # An external tour is seen through its route: ROUTE passes NORTH, the other does not.
        make_schedule(
            name="Route", kind="EXTERNAL_TOUR", site_group=world.route, assignee_person=world.admin, cron="0 6 * * *"
        )
        south_route = make_schedule(
            name="South route",
            kind="EXTERNAL_TOUR",
            site_group=make_site_group([world.south], code="SOUTHERN"),
            assignee_person=world.south_guard,
            cron="0 6 * * *",
        )
    client = tenant_a_supervisor.client()
    assert [row["name"] for row in client.get(SCHEDULES).json()["results"]] == ["North task", "Route"]
    assert error(client.get(url(south.pk))) == (404, "not_found", {})
    assert error(client.get(url(south_route.pk))) == (404, "not_found", {})
    assert error(client.patch(url(south.pk), {"name": "Mine now"}, format="json")) == (404, "not_found", {})
    assert error(client.delete(url(south.pk))) == (404, "not_found", {})
    assert schedule_row(world, south.pk).is_active is True
    # Guards perform jobs; they do not read schedules.
    guard = tenant_a_guard.client()
    assert error(guard.get(SCHEDULES)) == (403, "permission_denied", {})
    assert error(guard.get(url(north.pk))) == (403, "permission_denied", {})


def test_writes_need_schedules_manage(
    clock: Any, world: World, viewer: Persona, tenant_a_guard: Persona, tenant_a_admin: Persona
) -> None:
    with tenant_context(world.tenant):
        schedule = make_schedule(name="North task", site=world.north, assignee_person=world.guard)
    client = viewer.client()
    assert [row["name"] for row in client.get(SCHEDULES).json()["results"]] == ["North task"]
    for response in (
        client.post(SCHEDULES, task_body(world), format="json"),
        client.patch(url(schedule.pk), {"name": "x"}, format="json"),
        client.delete(url(schedule.pk)),
        client.post(url(schedule.pk, "enable/")),
        client.post(f"{SCHEDULES}preview/", task_body(world), format="json"),
        tenant_a_guard.client().post(SCHEDULES, task_body(world), format="json"),
    ):
        assert error(response) == (403, "permission_denied", {})
    assert error(tenant_a_admin.client().put(url(schedule.pk), task_body(world), format="json"))[:2] == (
        405,
        "method_not_allowed",
    )
    assert schedule_row(world, schedule.pk).name == "North task"


def _ppm_fields(world: World) -> dict[str, Any]:
    return {"kind": "PPM", "asset": world.pump.pk, "checklist": world.maintenance.pk}


@pytest.mark.parametrize(
    ("case", "status", "code", "details"),
    [
        ("six_fields", 400, "cron_invalid", {"field": "cron", "fields": 6}),
        ("seven_fields", 400, "cron_invalid", {"field": "cron", "fields": 7}),
        ("bad_minute", 400, "cron_invalid", {"field": "cron", "reason": "Bad minute"}),
        ("february_30", 400, "cron_never_fires", {"field": "cron", "reason": "Bad day-of-month"}),
        ("until_before_from", 400, "validity_invalid", {"field": "valid_until"}),
        ("too_many_stops", 400, "too_many_stops", {"field": "stops", "max": 200, "count": 201}),
        ("stop_elsewhere", 400, "stop_wrong_site", {"field": "stops[1].checkpoint", "checkpoint": "SOUTH_CP"}),
        ("no_stops", 400, "stops_required", {"field": "stops"}),
        (
            "report_checklist",
            400,
            "checklist_wrong_kind",
            {"field": "checklist", "kind": "SITE_REPORT", "allowed": ["CHECKLIST", "ASSET_AUDIT"]},
        ),
        ("unknown_checklist", 400, "unknown_checklist", {"field": "checklist"}),
        ("south_guard", 400, "assignee_cannot_work_at_site", {"field": "assignee_person", "person": "SOUTH_GUARD"}),
        ("nobody", 400, "assignee_required", {"field": "assignee_person"}),
        ("both", 400, "assignee_conflict", {"field": "assignee_person"}),
        ("unknown_person", 400, "unknown_person", {"field": "assignee_person"}),
        ("unknown_team", 400, "unknown_team", {"field": "assignee_team"}),
        ("no_site", 400, "site_required", {"field": "site"}),
        ("foreign_site", 400, "unknown_site", {"field": "site"}),
        ("no_group", 400, "site_group_required", {"field": "site_group"}),
        ("unknown_group", 400, "unknown_site_group", {"field": "site_group"}),
        ("ppm_without_asset", 400, "asset_required", {"field": "asset"}),
        ("asset_elsewhere", 400, "asset_wrong_site", {"field": "asset"}),
        ("scrapped_asset", 400, "asset_scrapped", {"field": "asset"}),
        (
            "shift",
            400,
            "kind_invalid",
            {"field": "kind", "choices": ["TASK", "INTERNAL_TOUR", "EXTERNAL_TOUR", "PPM", "SITE_REPORT"]},
        ),
        ("dynamic_task", 400, "dynamic_not_tour", {"field": "is_dynamic"}),
        ("zero_duration", 400, "value_out_of_range", {"field": "duration_minutes", "min": 1, "max": 10080}),
        ("four_rounds", 400, "value_out_of_range", {"field": "rounds", "min": 1, "max": 3}),
        ("six_reminders", 400, "value_out_of_range", {"field": "reminder_offsets", "max": 5}),
        ("blank_name", 400, "value_required", {"field": "name"}),
        ("site_on_route", 400, "value_invalid", {"field": "site"}),
        ("not_a_category", 400, "value_invalid", {"field": "ticket_category"}),
        ("unknown_category", 400, "unknown_category", {"field": "ticket_category"}),
        ("bad_priority", 400, "invalid", {"fields": {"priority": ['"SOON" is not a valid choice.']}}),
        ("no_valid_from", 400, "invalid", {"fields": {"valid_from": ["This field is required."]}}),
    ],
)
def test_every_schedule_error_code(
    clock: Any, world: World, tenant_a_admin: Persona, case: str, status: int, code: str, details: dict[str, Any]
) -> None:
    cp1 = world.checkpoints[0].pk
    with tenant_context(world.tenant):
        department = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
        south_pump = make_asset(world.south, "PUMP-S")
        scrapped = make_asset(world.north, "PUMP-OLD", status=Asset.Status.SCRAPPED)
    tour = tour_body(world)
    route = {"kind": "EXTERNAL_TOUR", "site": None, "site_group": world.route.pk, "assignee_person": world.admin.pk}
    bodies: dict[str, dict[str, Any]] = {
        "six_fields": task_body(world, cron="0 0 8 * * *"),
        "seven_fields": task_body(world, cron="0 0 8 * * * 2026"),
        "bad_minute": task_body(world, cron="61 8 * * *"),
        "february_30": task_body(world, cron="0 0 30 2 *"),
        "until_before_from": task_body(world, valid_until="2026-02-01T00:00:00Z"),
        "too_many_stops": {**tour, "stops": [{"checkpoint": cp1}] * 201},
        "stop_elsewhere": {**tour, "stops": [{"checkpoint": cp1}, {"checkpoint": world.south_checkpoint.pk}]},
        "no_stops": {**tour, "stops": []},
        "report_checklist": task_body(world, checklist=world.site_report.pk),
        "unknown_checklist": task_body(world, checklist=999_999),
        "south_guard": task_body(world, assignee_person=world.south_guard.pk),
        "nobody": task_body(world, assignee_person=None),
        "both": task_body(world, assignee_team=world.crew.pk),
        "unknown_person": task_body(world, assignee_person=999_999),
        "unknown_team": task_body(world, assignee_person=None, assignee_team=999_999),
        "no_site": task_body(world, site=None),
        "foreign_site": task_body(world, site=999_999),
        "no_group": task_body(world, **{**route, "site_group": None}),
        "unknown_group": task_body(world, **{**route, "site_group": 999_999}),
        "ppm_without_asset": task_body(world, **{**_ppm_fields(world), "asset": None}),
        "asset_elsewhere": task_body(world, **{**_ppm_fields(world), "asset": south_pump.pk}),
        "scrapped_asset": task_body(world, **{**_ppm_fields(world), "asset": scrapped.pk}),
        "shift": task_body(world, kind="SHIFT"),
        "dynamic_task": task_body(world, is_dynamic=True, cron=""),
        "zero_duration": task_body(world, duration_minutes=0),
        "four_rounds": task_body(world, **{**route, "rounds": 4}),
        "six_reminders": task_body(world, **_ppm_fields(world), reminder_offsets=[10, 20, 30, 40, 50, 60]),
        "blank_name": task_body(world, name="   "),
        "site_on_route": task_body(world, **{**route, "site": world.north.pk}),
        "not_a_category": task_body(world, ticket_category=department.pk),
        "unknown_category": task_body(world, ticket_category=999_999),
        "bad_priority": task_body(world, priority="SOON"),
        "no_valid_from": {k: v for k, v in task_body(world).items() if k != "valid_from"},
    }
    response = tenant_a_admin.client().post(SCHEDULES, bodies[case], format="json")
    placeholders = {"SOUTH_CP": world.south_checkpoint.pk, "SOUTH_GUARD": world.south_guard.pk}
    wanted = {
        key: placeholders.get(value, value) if isinstance(value, str) else value for key, value in details.items()
    }
    assert error(response) == (status, code, wanted), response.content
    with tenant_context(world.tenant):
        assert (Schedule.objects.count(), Job.objects.count()) == (0, 0)


def test_a_schedule_kind_does_not_change(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    client = tenant_a_admin.client()
    schedule_id = client.post(SCHEDULES, task_body(world), format="json").json()["id"]
    refused = client.patch(url(schedule_id), {"kind": "SITE_REPORT"}, format="json")
    assert error(refused) == (400, "kind_invalid", {"field": "kind"})
    assert schedule_row(world, schedule_id).kind == "TASK"


# --- jobs -----------------------------------------------------------------------------------


def test_a_supervisor_plans_an_ad_hoc_job(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    body = {
        "site": world.north.pk,
        "title": " Check the fence ",
        "plan_at": "2026-03-04T07:00:00Z",
        "assignee_person": world.guard.pk,
        "checklist": world.audit.pk,
        "asset": world.pump.pk,
        "remarks": "Storm damage reported",
    }
    created = tenant_a_supervisor.client().post(JOBS, body, format="json")
    assert created.status_code == 201, created.content
    job = job_row(world, created.json()["id"])
    assert created.json() == job_body(
        job,
        title="Check the fence",
        kind="TASK",
        origin="AD_HOC",
        status="ASSIGNED",
        site=world.north.pk,
        site_code="NORTH",
        site_name="North Gate",
        schedule=None,
        asset=world.pump.pk,
        asset_name="Fire pump",
        checklist=world.audit.pk,
        checklist_version=1,
        assignee_person=world.guard.pk,
        assignee_name="Guard",
        scan_type="SKIP",
        plan_at=at(4, 7),
        duration_minutes=30,
        expires_at=at(4, 7, 45),
        remarks="Storm damage reported",
        stops=[],
    )
    assert job.created_by_id == world.supervisor.pk


@pytest.mark.parametrize(
    ("changes", "code", "details"),
    [
        ({"site": "SOUTH"}, "unknown_site", {"field": "site"}),
        ({"title": ""}, "value_required", {"field": "title"}),
        ({"plan_at": "2026-03-01T00:00:00Z"}, "value_out_of_range", {"field": "plan_at"}),
        ({"duration_minutes": 10081}, "value_out_of_range", {"field": "duration_minutes", "min": 1, "max": 10080}),
        ({"checklist": "SITE_REPORT"}, "checklist_wrong_kind", {"field": "checklist", "kind": "SITE_REPORT"}),
        ({"assignee_person": None}, "assignee_required", {"field": "assignee_person"}),
        ({"assignee_person": "SOUTH_GUARD"}, "assignee_cannot_work_at_site", {"field": "assignee_person"}),
        ({"title": None}, "invalid", {"fields": {"title": ["This field may not be null."]}}),
    ],
)
def test_ad_hoc_job_errors(
    clock: Any, world: World, tenant_a_supervisor: Persona, changes: dict[str, Any], code: str, details: dict[str, Any]
) -> None:
    values = {"SOUTH": world.south.pk, "SITE_REPORT": world.site_report.pk, "SOUTH_GUARD": world.south_guard.pk}
    body = {
        "site": world.north.pk,
        "title": "Fence",
        "plan_at": "2026-03-04T07:00:00Z",
        "assignee_person": world.guard.pk,
    }
    body.update({k: values.get(v, v) if isinstance(v, str) else v for k, v in changes.items()})
    status, got_code, got = error(tenant_a_supervisor.client().post(JOBS, body, format="json"))
    assert (status, got_code) == (400, code)
    assert {k: got[k] for k in details} == details
    assert jobs_of(world) == []


def test_guards_may_not_plan_ad_hoc_jobs(clock: Any, world: World, tenant_a_guard: Persona) -> None:
    body = {
        "site": world.north.pk,
        "title": "Fence",
        "plan_at": "2026-03-04T07:00:00Z",
        "assignee_person": world.guard.pk,
    }
    assert error(tenant_a_guard.client().post(JOBS, body, format="json")) == (403, "permission_denied", {})
    assert jobs_of(world) == []


def test_a_guard_works_a_tour_stop_by_stop(
    clock: Any, world: World, tenant_a_admin: Persona, tenant_a_guard: Persona
) -> None:
    tenant_a_admin.client().post(SCHEDULES, tour_body(world), format="json")
    client = tenant_a_guard.client()
    tour = client.get(JOBS, {"top_level": "true"}).json()["results"][0]
    stops = client.get(url(tour["id"], base=JOBS)).json()["stops"]
    clock.set(datetime(2026, 3, 5, 5, 2, tzinfo=UTC))

    started = client.post(url(stops[0]["id"], "start/", JOBS))
    assert started.status_code == 200, started.content
    assert (started.json()["status"], started.json()["started_at"], started.json()["performed_by"]) == (
        "INPROGRESS",
        at(5, 5, 2),
        world.guard.pk,
    )
    assert job_row(world, tour["id"]).status == "INPROGRESS"

    again = client.post(url(stops[0]["id"], "start/", JOBS))
    assert error(again) == (
        409,
        "invalid_transition",
        {"field": "status", "status": "INPROGRESS", "action": "started"},
    )
    early = client.post(url(tour["id"], "complete/", JOBS))
    assert error(early) == (
        409,
        "invalid_transition",
        {"field": "status", "status": "INPROGRESS", "action": "completed"},
    )

    for stop in stops:
        clock.advance(minutes=5)
        done = client.post(url(stop["id"], "complete/", JOBS), {"remarks": f"ok {stop['seq']}"}, format="json")
        assert done.status_code == 200, done.content
        assert (done.json()["status"], done.json()["remarks"]) == ("COMPLETED", f"ok {stop['seq']}")
    finished = client.get(url(tour["id"], base=JOBS)).json()
    assert (finished["status"], finished["ended_at"], [s["status"] for s in finished["stops"]]) == (
        "COMPLETED",
        at(5, 5, 17),
        ["COMPLETED", "COMPLETED", "COMPLETED"],
    )
    closed = client.post(url(stops[0]["id"], "complete/", JOBS))
    assert error(closed)[:2] == (409, "invalid_transition")


def test_only_the_assignee_or_a_planner_starts_a_job(
    clock: Any, world: World, tenant_a_supervisor: Persona, viewer: Persona
) -> None:
    with tenant_context(world.tenant):
        schedule = make_schedule(name="Gate check", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        job = Job.objects.filter(schedule=schedule).order_by("plan_at").first()
    assert job is not None
    refused = viewer.client().post(url(job.pk, "start/", JOBS))
    assert error(refused) == (403, "job_not_assignee", {"field": "job"})
    assert job_row(world, job.pk).status == "ASSIGNED"
    accepted = tenant_a_supervisor.client().post(
        url(job.pk, "complete/", JOBS), {"remarks": "Done by the supervisor"}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["performed_by"], accepted.json()["remarks"]) == (
        "COMPLETED",
        world.supervisor.pk,
        "Done by the supervisor",
    )
    too_long = tenant_a_supervisor.client().post(url(job.pk, "complete/", JOBS), {"remarks": "x" * 4001}, format="json")
    assert error(too_long)[:2] == (400, "value_out_of_range")


def test_a_guard_sees_only_their_own_jobs(
    clock: Any, world: World, tenant_a_guard: Persona, tenant_a_admin: Persona
) -> None:
    with tenant_context(world.tenant):
        mine = make_schedule(name="Mine", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        crew = make_schedule(name="Crew", site=world.south, assignee_team=world.crew, cron="0 8 * * *")
        other = make_schedule(name="Other", site=world.south, assignee_person=world.south_guard, cron="0 9 * * *")
        other_job = Job.objects.filter(schedule=other).first()
    assert other_job is not None
    client = tenant_a_guard.client()
    listed = client.get(JOBS).json()
    assert sorted({row["schedule"] for row in listed["results"]}) == sorted([mine.pk, crew.pk])
    assert listed["count"] == 4
    assert error(client.get(url(other_job.pk, base=JOBS))) == (404, "not_found", {})
    assert error(client.post(url(other_job.pk, "start/", JOBS))) == (404, "not_found", {})
    assert job_row(world, other_job.pk).status == "ASSIGNED"
    assert tenant_a_admin.client().get(JOBS).json()["count"] == 6


def test_job_filters(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    with tenant_context(world.tenant):
        task = make_schedule(name="Gate", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        tour = make_tour(2, name="Round", site=world.north, assignee_team=world.crew, cron="0 9 * * *")
        yard = make_schedule(name="Yard", site=world.south, assignee_person=world.south_guard, cron="0 12 * * *")
        first_task = Job.objects.filter(schedule=task).order_by("plan_at").first()
        Job.objects.filter(pk=first_task.pk).update(status=Job.Status.COMPLETED)  # type: ignore[union-attr]
        first_tour = Job.objects.filter(schedule=tour, seq=0).order_by("plan_at").first()
    assert first_task is not None and first_tour is not None
    client = tenant_a_admin.client()

    def rows(**query: Any) -> list[tuple[str, int, str]]:
        response = client.get(JOBS, query)
        assert response.status_code == 200, response.content
        return [(r["title"], r["seq"], r["plan_at"]) for r in response.json()["results"]]

    assert len(rows()) == 2 + 2 * 3 + 2
    assert rows(site=world.south.pk) == [("Yard", 0, at(4, 12)), ("Yard", 0, at(5, 12))]
    assert rows(status=["COMPLETED"]) == [("Gate", 0, at(5, 4))]
    assert len(rows(status=["COMPLETED", "ASSIGNED"])) == 10
    assert rows(kind=["TASK"], status=["ASSIGNED"]) == [
        ("Yard", 0, at(4, 12)),
        ("Yard", 0, at(5, 12)),
        ("Gate", 0, at(6, 4)),
    ]
    assert len(rows(kind=["STOP"])) == 4
    assert len(rows(origin=["SCHEDULED"])) == 10 and rows(origin=["AD_HOC"]) == []
    assert rows(assignee=world.south_guard.pk) == [("Yard", 0, at(4, 12)), ("Yard", 0, at(5, 12))]
    assert [r[1] for r in rows(team=world.crew.pk)] == [0, 1, 2, 0, 1, 2]
    assert [r[0] for r in rows(schedule=yard.pk)] == ["Yard", "Yard"]
    assert [r[1] for r in rows(parent=first_tour.pk)] == [1, 2]
    assert [r[0] for r in rows(top_level="true")] == ["Yard", "Gate", "Round", "Yard", "Gate", "Round"]
    assert [r[1] for r in rows(top_level="false")] == [1, 2, 1, 2]
    # Dates are UTC days; plan_before includes its day.
    assert [r[0] for r in rows(plan_after="2026-03-05", plan_before="2026-03-05", top_level="true")] == [
        "Gate",
        "Round",
        "Yard",
    ]
    assert [
        r[2] for r in rows(plan_after="2026-03-05T05:00:00Z", plan_before="2026-03-05T12:00:00Z", top_level="true")
    ] == [at(5, 5)]
    assert [r[2] for r in rows(plan_after="2026-03-06T08:00:00+04:00", top_level="true")] == [at(6, 4), at(6, 5)]
    assert [r[2] for r in rows(ordering="-plan_at", top_level="true")][:2] == [at(6, 5), at(6, 4)]
    assert error(client.get(JOBS, {"plan_after": "yesterday"})) == (
        400,
        "invalid",
        {"fields": {"plan_after": ["An ISO 8601 date (2026-03-04) or date-time (2026-03-04T06:00:00Z)."]}},
    )
    assert error(client.get(JOBS, {"status": "LATE"}))[:2] == (400, "invalid")


def test_the_filtersets_cover_what_the_issue_asks_for() -> None:
    from apps.scheduling.filtersets import JobFilterSet, ScheduleFilterSet

    assert {"site", "status", "kind", "assignee", "plan_after", "plan_before"} <= set(JobFilterSet.base_filters)
    assert {"origin", "team", "schedule", "parent", "top_level"} <= set(JobFilterSet.base_filters)
    assert {"site", "site_group", "kind", "is_active", "assignee_person", "assignee_team", "q"} <= set(
        ScheduleFilterSet.base_filters
    )


def test_lists_cost_the_same_for_one_row_or_many(
    clock: Any, world: World, tenant_a_supervisor: Persona, django_assert_num_queries: Any
) -> None:
    client = tenant_a_supervisor.client()
    with tenant_context(world.tenant):
        make_schedule(name="One", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
    client.get(JOBS)  # warm the token check
    client.get(SCHEDULES)
    # the caller and their roles (two), the count, the page (joins), and for schedules their stops
    with django_assert_num_queries(4):
        assert client.get(JOBS).json()["count"] == 2
    with django_assert_num_queries(5):
        assert client.get(SCHEDULES).json()["count"] == 1
    with tenant_context(world.tenant):
        checklist = make_checklist(code="CL-MORE")
        make_tour(3, name="Round", site=world.north, assignee_team=world.crew, checklist=checklist)
        make_schedule(name="PPM", site=world.north, assignee_person=world.guard, **{"kind": "PPM", "asset": world.pump})
    with django_assert_num_queries(4):
        assert client.get(JOBS).json()["count"] > 2 + 8
    with django_assert_num_queries(5):
        assert client.get(SCHEDULES).json()["count"] == 3


# --- the day board --------------------------------------------------------------------------


def test_the_day_board_of_a_site(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    # T0 is 10:00 at NORTH. Jobs of 4 March (Dubai): 04:00 and 05:00 Dubai have passed.
    with tenant_context(world.tenant):
        jobs = {
            hour: Job.objects.create(
                kind=Job.Kind.TASK,
                origin=Job.Origin.AD_HOC,
                title=f"Round at {hour + 4}:00",
                site=world.north,
                assignee_person=world.guard if hour != 5 else None,
                assignee_team=world.crew if hour == 5 else None,
                plan_at=datetime(2026, 3, 4, hour, tzinfo=UTC),
                duration_minutes=30,
                expires_at=datetime(2026, 3, 4, hour, 45, tzinfo=UTC),
                status=status,
            )
            for hour, status in [
                (0, "COMPLETED"),
                (1, "AUTOCLOSED"),
                (2, "ASSIGNED"),
                (5, "INPROGRESS"),
                (7, "ASSIGNED"),
            ]
        }
        # The evening before in Dubai (3 March, 23:00 local): not on the 4 March board.
        Job.objects.create(
            kind=Job.Kind.TASK,
            origin=Job.Origin.AD_HOC,
            title="Yesterday",
            site=world.north,
            plan_at=datetime(2026, 3, 3, 19, tzinfo=UTC),
            expires_at=datetime(2026, 3, 3, 20, tzinfo=UTC),
        )

    def entry(hour: int, status: str, assignee: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": jobs[hour].pk,
            "title": f"Round at {hour + 4}:00",
            "kind": "TASK",
            "status": status,
            "plan_at": at(4, hour),
            "expires_at": at(4, hour, 45),
            "assignee": assignee,
        }

    guard = {"type": "person", "id": world.guard.pk, "name": "Guard"}
    crew = {"type": "team", "id": world.crew.pk, "name": "Team CREW"}
    response = tenant_a_supervisor.client().get(f"{JOBS}board/", {"site": str(world.north.pk), "date": "2026-03-04"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "site": {"id": world.north.pk, "code": "NORTH", "name": "North Gate", "timezone": "Asia/Dubai"},
        "date": "2026-03-04",
        "counts": {"planned": 1, "in_progress": 1, "done": 1, "missed": 2},
        "planned": [entry(7, "ASSIGNED", guard)],
        "in_progress": [entry(5, "INPROGRESS", crew)],
        "done": [entry(0, "COMPLETED", guard)],
        "missed": [entry(1, "AUTOCLOSED", guard), entry(2, "ASSIGNED", guard)],
    }
    today = tenant_a_supervisor.client().get(f"{JOBS}board/", {"site": world.north.pk})
    assert today.json() == response.json()


def test_board_errors(clock: Any, world: World, tenant_a_supervisor: Persona, tenant_b_admin: Persona) -> None:
    client = tenant_a_supervisor.client()
    assert error(client.get(f"{JOBS}board/", {"site": world.south.pk})) == (404, "not_found", {})
    assert error(tenant_b_admin.client().get(f"{JOBS}board/", {"site": world.north.pk})) == (404, "not_found", {})
    assert error(client.get(f"{JOBS}board/")) == (400, "invalid", {"fields": {"site": ["This field is required."]}})
    assert error(client.get(f"{JOBS}board/", {"site": str(world.north.pk), "date": "04/03/2026"}))[:2] == (
        400,
        "invalid",
    )


# --- authentication and tenants --------------------------------------------------------------


def test_without_a_token_nothing_is_served(api: Any) -> None:
    for path in (SCHEDULES, JOBS, f"{JOBS}board/?site=1", f"{SCHEDULES}1/occurrences/"):
        assert error(api.get(path)) == (401, "not_authenticated", {})
    assert error(api.post(f"{JOBS}1/start/")) == (401, "not_authenticated", {})


def test_another_tenant_sees_nothing_and_changes_nothing(
    clock: Any, world: World, tenant_a_admin: Persona, tenant_b_admin: Persona
) -> None:
    created = tenant_a_admin.client().post(SCHEDULES, tour_body(world), format="json").json()
    with tenant_context(world.tenant):
        job = Job.objects.filter(schedule_id=created["id"], seq=1).order_by("plan_at").first()
    assert job is not None
    client = tenant_b_admin.client()
    assert client.get(SCHEDULES).json()["count"] == 0
    assert client.get(JOBS).json()["count"] == 0
    for response in (
        client.get(url(created["id"])),
        client.get(url(created["id"], "occurrences/")),
        client.patch(url(created["id"]), {"name": "Taken"}, format="json"),
        client.delete(url(created["id"])),
        client.post(url(created["id"], "enable/")),
        client.get(url(job.pk, base=JOBS)),
        client.post(url(job.pk, "start/", JOBS)),
        client.post(url(job.pk, "complete/", JOBS)),
    ):
        assert error(response) == (404, "not_found", {})
    # Tenant A's ids as references are unknown in tenant B.
    body = {**task_body(world), "assignee_person": None, "assignee_team": None}
    assert error(client.post(SCHEDULES, body, format="json"))[:2] == (400, "unknown_site")
    assert schedule_row(world, created["id"]).name == "Night round"
    assert job_row(world, job.pk).status == "ASSIGNED"


# --- values outside the supported range ------------------------------------------------------


def test_a_patch_with_an_empty_stop_is_refused_like_a_post(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    client = tenant_a_admin.client()
    schedule_id = client.post(SCHEDULES, tour_body(world), format="json").json()["id"]
    before = jobs_of(world, schedule_id=schedule_id)
    for response in (
        client.post(SCHEDULES, tour_body(world, stops=[{}]), format="json"),
        client.patch(url(schedule_id), {"stops": [{}]}, format="json"),
    ):
        assert error(response) == (
            400,
            "invalid",
            {"fields": {"stops": {"0": {"checkpoint": ["This field is required."]}}}},
        )
    assert jobs_of(world, schedule_id=schedule_id) == before
    with tenant_context(world.tenant):
        assert Schedule.objects.get(pk=schedule_id).stops.count() == 3


OUT_OF_RANGE = {"fields": {"date": ["Dates from 1900-01-01 to 9000-12-31 are accepted."]}}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9001-01-01", "1899-12-31"])
def test_the_board_refuses_days_outside_the_supported_range(
    world: World, tenant_a_supervisor: Persona, day: str
) -> None:
    # NORTH is in Dubai, east of UTC: 0001-01-01 there began before the first instant Python holds.
    response = tenant_a_supervisor.client().get(f"{JOBS}board/", {"site": str(world.north.pk), "date": day})
    assert error(response) == (400, "value_out_of_range", OUT_OF_RANGE)


@pytest.mark.parametrize("day", ["1900-01-01", "9000-12-31"])
def test_the_board_answers_at_the_edges_of_the_range(world: World, tenant_a_admin: Persona, day: str) -> None:
    for site in (world.north, world.south):
        response = tenant_a_admin.client().get(f"{JOBS}board/", {"site": str(site.pk), "date": day})
        assert response.status_code == 200, response.content
        assert (response.json()["date"], response.json()["counts"]) == (
            day,
            {"planned": 0, "in_progress": 0, "done": 0, "missed": 0},
        )


def test_validity_beyond_the_supported_range_is_refused_and_saves_nothing(
    clock: Any, world: World, tenant_a_admin: Persona
) -> None:
    client = tenant_a_admin.client()
    message = ["Dates from 1900-01-01 to 9000-12-31 are accepted."]
    for field in ("valid_from", "valid_until"):
        body = task_body(world, **{field: "9999-12-30T00:00:00Z"})
        for path in (SCHEDULES, f"{SCHEDULES}preview/"):
            assert error(client.post(path, body, format="json")) == (
                400,
                "value_out_of_range",
                {"fields": {field: message}},
            )
    with tenant_context(world.tenant):
        assert (Schedule.objects.count(), Job.objects.count()) == (0, 0)
    # Far ahead but inside the range: the preview answers.
    far = client.post(
        f"{SCHEDULES}preview/", task_body(world, valid_from="8999-12-30T00:00:00Z", count=2), format="json"
    )
    assert far.status_code == 200, far.content
    assert [o["plan_at"] for o in far.json()["occurrences"]] == ["8999-12-30T04:00:00Z", "8999-12-31T04:00:00Z"]
