"""The mechanism itself: set-based writes summarised once, rollbacks leave nothing, masked
values never stored, many-to-many changes, values rendered JSON-safe, and who is left out.

The schedule tests use the scheduling suite's world (tenant A's NORTH and SOUTH, the clock
frozen at Wednesday 4 March 2026, 06:00 UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db import transaction

from apps.audit import values
from apps.audit.capture import logged_models
from apps.audit.models import ChangeLog
from apps.audit.services import Action, record_bulk
from apps.core.tenancy import tenant_context
from apps.notifications.models import NotificationLog, WebhookDelivery
from apps.people.models import Person, RefreshToken, Role
from apps.scheduling import autoclose, generation
from apps.scheduling.models import Job, Schedule, ScheduleStop
from apps.scheduling.tests.conftest import T0, Clock, World
from apps.tenants.models import Lookup
from apps.tenants.services import create_lookup
from conftest import Persona

from .helpers import entries, related_to, summary, who

pytestmark = pytest.mark.django_db

MASK = "********"


def daily_task(world: World, **changes: Any) -> dict[str, Any]:
    """A daily 08:00 task at NORTH (04:00 UTC): two jobs in the 48 hours after T0."""
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


def job_ids(world: World, schedule_id: int) -> list[int]:
    with tenant_context(world.tenant):
        return list(Job.objects.filter(schedule_id=schedule_id).order_by("pk").values_list("pk", flat=True))


def test_a_schedule_edit_that_replaces_future_jobs_shows_in_its_history(
    clock: Clock, world: World, tenant_a_admin: Persona
) -> None:
    api = tenant_a_admin.client()
    created = api.post("/api/v1/schedules/", daily_task(world), format="json", HTTP_X_REQUEST_ID="sched-create")
    assert created.status_code == 201, created.content
    schedule_id = created.json()["id"]
    first_jobs = job_ids(world, schedule_id)
    changed = api.patch(
        f"/api/v1/schedules/{schedule_id}/", {"cron": "0 9 * * *"}, format="json", HTTP_X_REQUEST_ID="sched-edit"
    )
    assert changed.status_code == 200, changed.content
    new_jobs = job_ids(world, schedule_id)
    assert len(first_jobs) == len(new_jobs) == 2 and not set(first_jobs) & set(new_jobs)

    with tenant_context(world.tenant):
        schedule = Schedule.objects.get(pk=schedule_id)
    own = entries(world.tenant, Schedule, object_id=schedule_id)
    jobs = related_to(world.tenant, schedule)
    admin = tenant_a_admin.person.pk
    assert [(who(entry), entry.action) for entry in own] == [
        (("REST", admin, "admin", "sched-create"), "CREATE"),
        (("REST", admin, "admin", "sched-edit"), "UPDATE"),
    ]
    assert own[1].changes == {"cron": ["0 8 * * *", "0 9 * * *"]}  # generated_until is bookkeeping
    assert [
        (who(entry), entry.action, entry.count, entry.object_ids, entry.changes, entry.object_repr) for entry in jobs
    ] == [
        (("REST", admin, "admin", "sched-create"), "BULK_CREATE", 2, first_jobs, {}, "2 jobs planned"),
        (
            ("REST", admin, "admin", "sched-edit"),
            "BULK_REPLACE",
            4,
            new_jobs,
            {"rows": [2, 2]},
            "2 future jobs replaced by 2",
        ),
    ]
    assert {summary(entry)[1] for entry in jobs} == {"scheduling.job"}
    # Never one entry per job: the jobs themselves have none.
    assert entries(world.tenant, Job, object_id__isnull=False) == []


def test_replacing_a_tours_stops_is_one_entry(clock: Clock, world: World, tenant_a_admin: Persona) -> None:
    cp1, cp2, cp3 = world.checkpoints
    body = daily_task(world, kind="INTERNAL_TOUR", stops=[{"checkpoint": cp1.pk}, {"checkpoint": cp2.pk}])
    created = tenant_a_admin.client().post("/api/v1/schedules/", body, format="json")
    assert created.status_code == 201, created.content
    tour = created.json()["id"]
    changed = tenant_a_admin.client().patch(
        f"/api/v1/schedules/{tour}/",
        {"stops": [{"checkpoint": cp3.pk}, {"checkpoint": cp2.pk}, {"checkpoint": cp1.pk}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    with tenant_context(world.tenant):
        schedule = Schedule.objects.get(pk=tour)
        stops = list(ScheduleStop.objects.filter(schedule=schedule).order_by("pk").values_list("pk", flat=True))
    stop_entries = [
        entry for entry in related_to(world.tenant, schedule) if summary(entry)[1] == "scheduling.schedulestop"
    ]
    assert [(entry.action, entry.count, entry.object_repr, entry.changes) for entry in stop_entries] == [
        ("BULK_CREATE", 2, "2 stops added", {}),
        ("BULK_REPLACE", 5, "2 stops replaced by 3", {"rows": [2, 3]}),
    ]
    assert stop_entries[1].object_ids == stops
    assert entries(world.tenant, ScheduleStop, object_id__isnull=False) == []


def test_generation_and_autoclose_write_one_summary_per_run_and_tenant(clock: Clock, world: World) -> None:
    from apps.scheduling.services import create_schedule

    with tenant_context(world.tenant):
        schedules = [
            create_schedule(
                None,
                name=f"Hourly {n}",
                kind="TASK",
                site=world.north,
                cron="0 * * * *",
                valid_from=T0 - timedelta(days=3),
                assignee_person=world.guard,
            )
            for n in range(3)
        ]
    before = len(entries(world.tenant, Job))
    clock.advance(hours=6)
    with tenant_context(world.tenant):
        created = generation.generate_tenant()
        closed = autoclose.autoclose_tenant()
    assert (created, closed) == (3 * 6, 3 * 6)  # six more hours planned; the six past ones closed
    generated, autoclosed = entries(world.tenant, Job)[before:]
    assert (generated.action, generated.count, generated.related_id, generated.object_repr) == (
        "BULK_CREATE",
        18,
        None,
        "18 jobs planned for the next hours (3 schedules)",
    )
    assert len(generated.object_ids) == 18
    assert (autoclosed.action, autoclosed.count, autoclosed.object_ids, autoclosed.object_repr) == (
        "BULK_UPDATE",
        18,
        [],
        "18 expired jobs closed (expired stops: 0, stops of expired tours: 0, expired tours: 0, expired jobs: 18)",
    )
    with tenant_context(world.tenant):
        assert autoclose.autoclose_tenant() == 0
    assert len(entries(world.tenant, Job)) == before + 2  # a run that closes nothing records nothing
    assert len(schedules) == 3


def test_a_rolled_back_change_leaves_no_entry(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        kept = create_lookup(kind=Lookup.Kind.DEPARTMENT, code="KEPT", name="Kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code="GONE", name="Gone")
            kept.name = "Renamed, then rolled back"
            kept.save()
            raise RuntimeError("the change fails after writing")
        with transaction.atomic():  # an outer change that stays, around a savepoint that does not
            kept.name = "Kept, renamed"
            kept.save()
            try:
                with transaction.atomic():
                    record_bulk(Lookup, Action.BULK_UPDATE, count=3, summary="rolled back with its savepoint")
                    raise RuntimeError
            except RuntimeError:
                pass
    log = entries(tenant_a, Lookup)
    assert [(entry.action, entry.object_id, entry.changes) for entry in log] == [
        (
            "CREATE",
            kept.pk,
            {
                "kind": [None, "DEPARTMENT"],
                "code": [None, "KEPT"],
                "name": [None, "Kept"],
                "position": [None, 0],
                "is_active": [None, True],
            },
        ),
        ("UPDATE", kept.pk, {"name": ["Kept", "Kept, renamed"]}),
    ]


def test_a_password_is_never_stored_not_even_hashed(tenant_a: Any, tenant_a_admin: Persona) -> None:
    response = tenant_a_admin.client().post(
        "/api/v1/people/",
        {"login": "asha", "name": "Asha Rao", "password": "Correct-horse-7-battery", "roles": ["guard"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    with tenant_context(tenant_a):
        asha = Person.objects.get(login="asha")
        asha.set_password("Another-horse-8-battery")
        asha.save(update_fields=["password"])
        hashes = {asha.password}
    created, changed = entries(tenant_a, Person, object_id=asha.pk)
    assert created.changes["password"] == [None, MASK]
    assert changed.changes == {"password": [MASK, MASK]}
    stored = json.dumps([created.changes, changed.changes])
    assert "horse" not in stored and not any(value in stored for value in hashes)
    assert "argon2" not in stored and "md5" not in stored


def test_many_to_many_calls_record_the_ids_before_and_after(tenant_a: Any, tenant_a_guard: Persona) -> None:
    with tenant_context(tenant_a):
        guard = Person.objects.get(pk=tenant_a_guard.person.pk)
        roles = {role.code: role.pk for role in Role.objects.all()}
        guard.roles.add(roles["supervisor"])
        guard.roles.remove(roles["guard"])
    updates = entries(tenant_a, Person, object_id=guard.pk, action="UPDATE")
    assert [entry.changes for entry in updates] == [
        {"roles": [[roles["guard"]], sorted([roles["guard"], roles["supervisor"]])]},
        {"roles": [sorted([roles["guard"], roles["supervisor"]]), [roles["supervisor"]]]},
    ]


def test_records_that_are_logs_themselves_are_left_out() -> None:
    labels = {model._meta.label_lower for model in logged_models()}
    for model in (ChangeLog, RefreshToken, NotificationLog, WebhookDelivery):
        assert model._meta.label_lower not in labels
    assert {"people.person", "people.roleassignment", "scheduling.schedule", "scheduling.job"} <= labels


def test_signing_in_writes_nothing(tenant_a: Any, tenant_a_guard: Persona) -> None:
    before = entries(tenant_a)
    tenant_a_guard.tokens()  # a refresh token row and the last sign-in time
    assert entries(tenant_a) == before


def test_values_are_json_safe_and_cut_to_size() -> None:
    field = Person._meta.get_field("name")
    assert values.normalize(datetime(2026, 3, 4, 10, 0, tzinfo=UTC).astimezone()) == "2026-03-04T10:00:00+00:00"
    assert values.normalize(date(2026, 3, 4)) == "2026-03-04"
    assert values.normalize(Decimal("1.500000")) == "1.5"
    assert values.normalize(Point(55.27, 25.2, srid=4326)) == "POINT (55.27 25.2)"
    assert values.normalize("nul\x00 and \ud800") == "nul\ufffd and ?"
    assert values.normalize({"a": [1, timedelta(minutes=2)]}) == {"a": [1, 120.0]}
    long_text = "x" * 600
    assert values.render(Person, field, long_text) == "x" * 499 + "…"
    fence = Polygon.from_bbox((0, 0, 1, 1))
    fence_wkt = values.normalize(Polygon([(i / 1000, 0) for i in range(1000)] + [(0, 1), (0, 0)]))
    assert len(values.shorten(fence_wkt)) == values.MAX_TEXT and values.shorten(fence_wkt).endswith("…")
    assert values.normalize(fence) == "POLYGON ((0 0, 0 1, 1 1, 1 0, 0 0))"
    big = list(range(1000))
    shortened = values.shorten(big)
    assert isinstance(shortened, str) and len(shortened) == values.MAX_JSON and shortened.endswith("…")
    assert values.is_masked(Person, Person._meta.get_field("password"))
    assert values.is_masked(RefreshToken, RefreshToken._meta.get_field("token_hash"))
    assert not values.is_masked(Person, field)
