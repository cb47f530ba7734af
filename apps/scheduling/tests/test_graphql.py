"""Schedules and jobs over GraphQL: the same services, scope and error codes as REST, typed
enums, and lists whose query count does not grow with their rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.scheduling.models import Job, Schedule, ScheduleStop
from conftest import Persona

from .conftest import World
from .factories import make_schedule, make_tour

pytestmark = pytest.mark.django_db

CREATE = """
mutation Create($input: ScheduleInput!) {
  createSchedule(input: $input) {
    schedule {
      name kind siteId siteCode cron validFrom priority scanType assigneeName isActive generatedUntil
      stops { position checkpointId checkpointName offsetMinutes durationMinutes graceMinutes }
    }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: ScheduleInput!) {
  updateSchedule(id: $id, input: $input) { schedule { cron graceMinutes stops { checkpointName } } }
}
"""
JOBS = """
query Jobs($status: [JobStatus!], $kind: [JobKind!], $topLevel: Boolean, $planAfter: DateTime, $planBefore: DateTime,
           $siteId: ID, $teamId: ID, $first: Int) {
  jobs(status: $status, kind: $kind, topLevel: $topLevel, planAfter: $planAfter, planBefore: $planBefore,
       siteId: $siteId, teamId: $teamId, first: $first) {
    title kind status planAt expiresAt siteCode assigneeName checklistId checklistVersion
    stops { seq title assetName planAt expiresAt }
  }
}
"""
JOB = "query One($id: ID!) { job(id: $id) { id title status stops { seq status } } }"
START = "mutation Start($id: ID!) { startJob(id: $id) { job { status startedAt performedById } } }"
COMPLETE = "mutation Done($id: ID!, $r: String) { completeJob(id: $id, remarks: $r) { job { status remarks } } }"


def ask(persona: Persona, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post_graphql(Client(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def tour_input(world: World, **changes: Any) -> dict[str, Any]:
    cp1, cp2, _ = world.checkpoints
    return {
        "name": "Night round",
        "kind": "INTERNAL_TOUR",
        "siteId": world.north.pk,
        "cron": "0 9 * * *",
        "validFrom": "2026-03-01T00:00:00+00:00",
        "durationMinutes": 10,
        "graceMinutes": 5,
        "assigneeTeamId": world.crew.pk,
        "checklistId": world.checklist.pk,
        "priority": "HIGH",
        "scanType": "NFC",
        "stops": [{"checkpointId": cp1.pk}, {"checkpointId": cp2.pk, "offsetMinutes": 5, "durationMinutes": 20}],
        **changes,
    }


def test_create_and_update_a_tour(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    created = ask(tenant_a_supervisor, CREATE, {"input": tour_input(world)})
    assert created == {
        "data": {
            "createSchedule": {
                "schedule": {
                    "name": "Night round",
                    "kind": "INTERNAL_TOUR",
                    "siteId": str(world.north.pk),
                    "siteCode": "NORTH",
                    "cron": "0 9 * * *",
                    "validFrom": "2026-03-01T00:00:00+00:00",
                    "priority": "HIGH",
                    "scanType": "NFC",
                    "assigneeName": "Team CREW",
                    "isActive": True,
                    "generatedUntil": "2026-03-06T06:00:00+00:00",
                    "stops": [
                        {
                            "position": 1,
                            "checkpointId": str(world.checkpoints[0].pk),
                            "checkpointName": "North checkpoint 1",
                            "offsetMinutes": 0,
                            "durationMinutes": None,
                            "graceMinutes": None,
                        },
                        {
                            "position": 2,
                            "checkpointId": str(world.checkpoints[1].pk),
                            "checkpointName": "North checkpoint 2",
                            "offsetMinutes": 5,
                            "durationMinutes": 20,
                            "graceMinutes": None,
                        },
                    ],
                }
            }
        }
    }
    with tenant_context(world.tenant):
        schedule = Schedule.objects.get()
    cp3 = world.checkpoints[2]
    updated = ask(
        tenant_a_supervisor,
        UPDATE,
        {"id": schedule.pk, "input": {"graceMinutes": 0, "stops": [{"checkpointId": cp3.pk}]}},
    )
    assert updated == {
        "data": {
            "updateSchedule": {
                "schedule": {
                    "cron": "0 9 * * *",
                    "graceMinutes": 0,
                    "stops": [{"checkpointName": "North checkpoint 3"}],
                }
            }
        }
    }
    with tenant_context(world.tenant):
        tours = list(Job.objects.filter(schedule=schedule, seq=0).values_list("plan_at", "expires_at"))
    assert [(a.isoformat(), b.isoformat()) for a, b in tours] == [(at(5, 5), at(5, 5, 10)), (at(6, 5), at(6, 5, 10))]


def test_mutations_refuse_what_rest_refuses(
    clock: Any, world: World, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    cases: list[tuple[Persona, dict[str, Any], str, dict[str, Any] | None]] = [
        (tenant_a_supervisor, {"cron": "0 0 9 * * *"}, "cron_invalid", {"field": "cron", "fields": 6}),
        (
            tenant_a_supervisor,
            {"cron": "0 0 30 2 *"},
            "cron_never_fires",
            {"field": "cron", "reason": "Bad day-of-month"},
        ),
        (
            tenant_a_supervisor,
            {"validUntil": "2026-02-01T00:00:00+00:00"},
            "validity_invalid",
            {"field": "valid_until"},
        ),
        (
            tenant_a_supervisor,
            {"stops": [{"checkpointId": world.south_checkpoint.pk}]},
            "stop_wrong_site",
            {"field": "stops[0].checkpoint", "checkpoint": world.south_checkpoint.pk},
        ),
        (
            tenant_a_supervisor,
            {"checklistId": world.site_report.pk},
            "checklist_wrong_kind",
            {"field": "checklist", "kind": "SITE_REPORT", "allowed": ["CHECKLIST"]},
        ),
        (
            tenant_a_supervisor,
            {"assigneeTeamId": None, "assigneePersonId": world.south_guard.pk},
            "assignee_cannot_work_at_site",
            {"field": "assignee_person", "person": world.south_guard.pk},
        ),
        (tenant_a_supervisor, {"siteId": world.south.pk}, "unknown_site", {"field": "site"}),
        (tenant_a_guard, {}, "permission_denied", None),
    ]
    for persona, changes, code, details in cases:
        body = ask(persona, CREATE, {"input": tour_input(world, **changes)})
        assert codes(body) == [code], changes
        if details is not None:
            assert body["errors"][0]["extensions"]["details"] == details
    with tenant_context(world.tenant):
        assert Schedule.objects.count() == 0


def test_occurrences_before_and_after_saving(clock: Any, world: World, tenant_a_admin: Persona) -> None:
    preview = ask(
        tenant_a_admin,
        """query P($input: ScheduleInput!) { scheduleOccurrences(input: $input, count: 3)
           { timezone occurrences { planAt expiresAt } } }""",
        {
            "input": {
                "name": "Yard sweep",
                "kind": "TASK",
                "siteId": world.south.pk,
                "cron": "30 1 * * *",
                "validFrom": "2026-03-28T00:00:00+00:00",
                "assigneePersonId": world.south_guard.pk,
            }
        },
    )
    # London springs forward on 29 March: 01:30 does not exist, the job runs at 02:00 BST.
    assert preview == {
        "data": {
            "scheduleOccurrences": {
                "timezone": "Europe/London",
                "occurrences": [
                    {"planAt": at(28, 1, 30), "expiresAt": at(28, 2, 15)},
                    {"planAt": at(29, 1), "expiresAt": at(29, 1, 45)},
                    {"planAt": at(30, 0, 30), "expiresAt": at(30, 1, 15)},
                ],
            }
        }
    }
    with tenant_context(world.tenant):
        schedule = make_schedule(name="Gate", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
    saved = ask(
        tenant_a_admin,
        "query S($id: ID!) { schedule(id: $id) { name occurrences(count: 2) { timezone occurrences { planAt } } } }",
        {"id": schedule.pk},
    )
    assert saved == {
        "data": {
            "schedule": {
                "name": "Gate",
                "occurrences": {"timezone": "Asia/Dubai", "occurrences": [{"planAt": at(5, 4)}, {"planAt": at(6, 4)}]},
            }
        }
    }
    refused = ask(
        tenant_a_admin,
        "query S($id: ID!) { schedule(id: $id) { occurrences(count: 101) { timezone } } }",
        {"id": schedule.pk},
    )
    assert codes(refused) == ["value_out_of_range"]


def test_jobs_filters_and_stops_in_a_fixed_number_of_queries(
    clock: Any, world: World, tenant_a_admin: Persona, django_assert_num_queries: Any
) -> None:
    with tenant_context(world.tenant):
        tour = make_tour(
            2, name="Round", site=world.north, assignee_team=world.crew, checklist=world.checklist, cron="0 9 * * *"
        )
        cp1, cp2 = (
            ScheduleStop.objects.filter(schedule=tour).order_by("position").values_list("checkpoint__name", flat=True)
        )
    token = tenant_a_admin.tokens().access
    variables = {"topLevel": True, "kind": ["INTERNAL_TOUR"]}
    post_graphql(Client(), JOBS, variables, token=token)  # warm the caller's token check
    # the caller and roles, the jobs (joined), their stops (joined)
    with django_assert_num_queries(4):
        few = post_graphql(Client(), JOBS, variables, token=token).json()
    assert few["data"]["jobs"][0] == {
        "title": "Round",
        "kind": "INTERNAL_TOUR",
        "status": "ASSIGNED",
        "planAt": at(5, 5),
        "expiresAt": at(5, 5, 25),
        "siteCode": "NORTH",
        "assigneeName": "Team CREW",
        "checklistId": str(world.checklist.pk),
        "checklistVersion": 1,
        "stops": [
            {"seq": 1, "title": f"Round: {cp1}", "assetName": cp1, "planAt": at(5, 5), "expiresAt": at(5, 5, 15)},
            {"seq": 2, "title": f"Round: {cp2}", "assetName": cp2, "planAt": at(5, 5, 10), "expiresAt": at(5, 5, 25)},
        ],
    }
    with tenant_context(world.tenant):
        make_tour(3, name="Second", site=world.north, assignee_person=world.guard, cron="30 9 * * *")
        make_tour(2, name="South", site=world.south, assignee_person=world.south_guard, cron="0 9 * * *")
    with django_assert_num_queries(4):
        many = post_graphql(Client(), JOBS, variables, token=token).json()
    # SOUTH (London) plans 09:00 UTC today and tomorrow; NORTH (Dubai) 05:00 and 05:30 tomorrow and after.
    assert [(j["title"], len(j["stops"])) for j in many["data"]["jobs"]] == [
        ("South", 2),
        ("Round", 2),
        ("Second", 3),
        ("South", 2),
        ("Round", 2),
        ("Second", 3),
    ]
    filtered = post_graphql(
        Client(),
        JOBS,
        {
            "siteId": world.north.pk,
            "teamId": world.crew.pk,
            "status": ["ASSIGNED"],
            "planAfter": "2026-03-06T00:00:00+00:00",
            "planBefore": "2026-03-07T00:00:00+00:00",
            "topLevel": True,
        },
        token=token,
    ).json()
    assert [(j["title"], j["planAt"]) for j in filtered["data"]["jobs"]] == [("Round", at(6, 5))]
    paged = post_graphql(Client(), JOBS, {"first": 501}, token=token).json()
    assert codes(paged) == ["invalid_page"]


def test_a_guard_starts_and_completes_their_job(
    clock: Any, world: World, tenant_a_guard: Persona, tenant_a_admin: Persona
) -> None:
    with tenant_context(world.tenant):
        mine = make_schedule(name="Mine", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        other = make_schedule(name="Other", site=world.south, assignee_person=world.south_guard, cron="0 8 * * *")
        job = Job.objects.filter(schedule=mine).order_by("plan_at").first()
        foreign = Job.objects.filter(schedule=other).order_by("plan_at").first()
    assert job is not None and foreign is not None
    assert ask(tenant_a_guard, "{ jobs { title } }") == {"data": {"jobs": [{"title": "Mine"}, {"title": "Mine"}]}}
    assert codes(ask(tenant_a_guard, JOB, {"id": foreign.pk})) == ["not_found"]
    assert codes(ask(tenant_a_guard, START, {"id": foreign.pk})) == ["not_found"]

    started = ask(tenant_a_guard, START, {"id": job.pk})
    assert started == {
        "data": {
            "startJob": {"job": {"status": "INPROGRESS", "startedAt": at(4, 6), "performedById": str(world.guard.pk)}}
        }
    }
    again = ask(tenant_a_guard, START, {"id": job.pk})
    assert codes(again) == ["invalid_transition"]
    assert again["errors"][0]["extensions"]["details"] == {
        "field": "status",
        "status": "INPROGRESS",
        "action": "started",
    }
    done = ask(tenant_a_guard, COMPLETE, {"id": job.pk, "r": "All quiet"})
    assert done == {"data": {"completeJob": {"job": {"status": "COMPLETED", "remarks": "All quiet"}}}}
    assert codes(ask(tenant_a_guard, "mutation { disableSchedule(id: 1) { schedule { id } } }")) == [
        "permission_denied"
    ]


def test_ad_hoc_jobs_and_schedule_switches(clock: Any, world: World, tenant_a_supervisor: Persona) -> None:
    created = ask(
        tenant_a_supervisor,
        """mutation A($input: AdhocJobInput!) { createAdhocJob(input: $input)
           { job { title kind origin planAt expiresAt priority scanType assigneeName } } }""",
        {
            "input": {
                "siteId": world.north.pk,
                "title": "Check the fence",
                "planAt": "2026-03-04T07:00:00+00:00",
                "durationMinutes": 20,
                "graceMinutes": 10,
                "assigneePersonId": world.guard.pk,
                "priority": "LOW",
            }
        },
    )
    assert created == {
        "data": {
            "createAdhocJob": {
                "job": {
                    "title": "Check the fence",
                    "kind": "TASK",
                    "origin": "AD_HOC",
                    "planAt": at(4, 7),
                    "expiresAt": at(4, 7, 30),
                    "priority": "LOW",
                    "scanType": "SKIP",
                    "assigneeName": "Guard",
                }
            }
        }
    }
    with tenant_context(world.tenant):
        schedule = make_schedule(name="Gate", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
    disabled = ask(
        tenant_a_supervisor,
        "mutation D($id: ID!) { disableSchedule(id: $id) { schedule { isActive } } }",
        {"id": schedule.pk},
    )
    assert disabled == {"data": {"disableSchedule": {"schedule": {"isActive": False}}}}
    with tenant_context(world.tenant):
        assert Job.objects.filter(schedule=schedule).count() == 0
    enabled = ask(
        tenant_a_supervisor,
        "mutation E($id: ID!) { enableSchedule(id: $id) { schedule { isActive } } }",
        {"id": schedule.pk},
    )
    assert enabled == {"data": {"enableSchedule": {"schedule": {"isActive": True}}}}
    with tenant_context(world.tenant):
        assert Job.objects.filter(schedule=schedule).count() == 2


def test_the_day_board(clock: Any, world: World, tenant_a_supervisor: Persona, tenant_b_admin: Persona) -> None:
    with tenant_context(world.tenant):
        make_tour(2, name="Round", site=world.north, assignee_person=world.guard, cron="0 11,15 * * *")
        done = Job.objects.filter(parent__isnull=True).order_by("plan_at").first()
        Job.objects.filter(pk=done.pk).update(status=Job.Status.COMPLETED)  # type: ignore[union-attr]
    query = """query B($site: ID!, $date: Date) { jobBoard(siteId: $site, date: $date) {
        site { code timezone } date counts { planned inProgress done missed }
        planned { title planAt siteName stops { seq } } done { title planAt } missed { title } inProgress { title } } }"""
    board = ask(tenant_a_supervisor, query, {"site": world.north.pk, "date": "2026-03-04"})
    assert board == {
        "data": {
            "jobBoard": {
                "site": {"code": "NORTH", "timezone": "Asia/Dubai"},
                "date": "2026-03-04",
                "counts": {"planned": 1, "inProgress": 0, "done": 1, "missed": 0},
                "planned": [
                    {"title": "Round", "planAt": at(4, 11), "siteName": "North Gate", "stops": [{"seq": 1}, {"seq": 2}]}
                ],
                "done": [{"title": "Round", "planAt": at(4, 7)}],
                "missed": [],
                "inProgress": [],
            }
        }
    }
    assert codes(ask(tenant_a_supervisor, query, {"site": world.south.pk})) == ["not_found"]
    assert codes(ask(tenant_b_admin, query, {"site": world.north.pk})) == ["not_found"]


def test_another_tenant_gets_nothing(clock: Any, world: World, tenant_b_admin: Persona) -> None:
    with tenant_context(world.tenant):
        schedule = make_tour(2, name="Round", site=world.north, assignee_person=world.guard, cron="0 9 * * *")
        job = Job.objects.filter(schedule=schedule).first()
    assert job is not None
    assert ask(tenant_b_admin, "{ schedules { id } jobs { id } }") == {"data": {"schedules": [], "jobs": []}}
    for query, variables in [
        ("query S($id: ID!) { schedule(id: $id) { name } }", {"id": schedule.pk}),
        ("query J($id: ID!) { job(id: $id) { title } }", {"id": job.pk}),
        ("mutation D($id: ID!) { disableSchedule(id: $id) { schedule { id } } }", {"id": schedule.pk}),
        (
            'mutation U($id: ID!) { updateSchedule(id: $id, input: {name: "Taken"}) { schedule { id } } }',
            {"id": schedule.pk},
        ),
        (START, {"id": job.pk}),
        (COMPLETE, {"id": job.pk}),
    ]:
        assert codes(ask(tenant_b_admin, query, variables)) == ["not_found"], query
    with tenant_context(world.tenant):
        assert (Schedule.objects.get().name, Schedule.objects.get().is_active) == ("Round", True)
        assert Job.objects.get(pk=job.pk).status == "ASSIGNED"


def test_anonymous_callers_are_refused(db: Any) -> None:
    body = post_graphql(Client(), "{ jobs { id } }").json()
    assert codes(body) == ["not_authenticated"]


def test_the_day_board_refuses_days_outside_the_supported_range(world: World, tenant_a_supervisor: Persona) -> None:
    query = "query B($site: ID!, $date: Date) { jobBoard(siteId: $site, date: $date) { date } }"
    for day in ("9999-12-31", "0001-01-01"):
        body = ask(tenant_a_supervisor, query, {"site": str(world.north.pk), "date": day})
        assert codes(body) == ["value_out_of_range"]
        assert body["errors"][0]["extensions"]["details"] == {
            "argument": "date",
            "min": "1900-01-01",
            "max": "9000-12-31",
        }
