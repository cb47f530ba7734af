"""Refusals name only what the caller sent or may see.

The supervisor plans NORTH only. Naming the south guard (who works at SOUTH alone), a
team of south people, SOUTH's checkpoint or an asset of SOUTH must be refused with the
usual code and field, and no part of the answer may carry that person's name, the
team's code or the asset's code: the caller sent an id and gets the id back.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person
from apps.scheduling.models import Job, Schedule
from conftest import Persona

from .conftest import World
from .factories import make_asset, make_schedule, make_team

pytestmark = pytest.mark.django_db

SCHEDULES = "/api/v1/schedules/"
JOBS = "/api/v1/jobs/"
SECRET_NAME = "Ravi Khan"
#: (code, details.field, texts the answer must not contain) of the two assignee refusals.
ASSIGNEE = ("assignee_cannot_work_at_site", "assignee_person", SECRET_NAME)
TEAM = ("assignee_cannot_work_at_site", "assignee_team", "SOUTHCREW", SECRET_NAME)


@pytest.fixture
def south(world: World) -> dict[str, Any]:
    """What lives only at SOUTH, with names the supervisor must never read."""
    with tenant_context(world.tenant):
        Person.objects.filter(pk=world.south_guard.pk).update(name=SECRET_NAME)
        team = make_team(world.south_guard, code="SOUTHCREW")
        asset = make_asset(world.south, "S-PUMP", name="South pump")
    return {"guard": world.south_guard.pk, "team": team.pk, "asset": asset.pk, "checkpoint": world.south_checkpoint.pk}


def task(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Gate check",
        "kind": "TASK",
        "site": world.north.pk,
        "cron": "0 8 * * *",
        "valid_from": "2026-03-01T00:00:00Z",
        "assignee_person": world.guard.pk,
        **changes,
    }


def refused(response: Any, code: str, field: str, *hidden: str) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == (code, field)
    for text in hidden:
        assert text not in response.content.decode(), text
    return error


def test_schedule_preview_create_and_update(
    clock: Any, world: World, south: dict[str, Any], tenant_a_supervisor: Persona
) -> None:
    client = tenant_a_supervisor.client()
    guard = task(world, assignee_person=south["guard"])
    error = refused(client.post(f"{SCHEDULES}preview/", guard, format="json"), *ASSIGNEE)
    assert error == {
        "code": "assignee_cannot_work_at_site",
        "message": f"Person {south['guard']} cannot work at site NORTH: an active person who performs jobs "
        "and may work there is needed.",
        "details": {"field": "assignee_person", "person": south["guard"]},
    }
    refused(client.post(SCHEDULES, guard, format="json"), *ASSIGNEE)
    team = task(world, assignee_person=None, assignee_team=south["team"])
    error = refused(client.post(SCHEDULES, team, format="json"), *TEAM)
    assert error["message"] == (
        f"Team {south['team']} has no active member who performs jobs and may work at site NORTH."
    )
    asset = task(world, asset=south["asset"])
    error = refused(client.post(SCHEDULES, asset, format="json"), "asset_wrong_site", "asset", "S-PUMP", "South pump")
    assert error["message"] == f"Asset {south['asset']} is not at site NORTH."
    tour = task(world, kind="INTERNAL_TOUR", stops=[{"checkpoint": south["checkpoint"]}])
    error = refused(client.post(SCHEDULES, tour, format="json"), "stop_wrong_site", "stops[0].checkpoint", "S-CP1")
    assert error["message"] == f"Stop 1: checkpoint {south['checkpoint']} is not an active checkpoint of site NORTH."

    with tenant_context(world.tenant):
        schedule = make_schedule(name="Gate", site=world.north, assignee_person=world.guard, cron="0 8 * * *")
        before = Schedule.objects.values_list("pk", "assignee_person_id", "version").get(pk=schedule.pk)
    patch = {"assignee_person": south["guard"]}
    refused(client.patch(f"{SCHEDULES}{schedule.pk}/", patch, format="json"), *ASSIGNEE)
    with tenant_context(world.tenant):
        assert Schedule.objects.values_list("pk", "assignee_person_id", "version").get(pk=schedule.pk) == before
        assert Schedule.objects.count() == 1


def test_ad_hoc_job_over_rest_and_graphql(
    clock: Any, world: World, south: dict[str, Any], tenant_a_supervisor: Persona
) -> None:
    body = {"site": world.north.pk, "title": "Fence", "plan_at": "2026-03-04T07:00:00Z"}
    client = tenant_a_supervisor.client()
    refused(client.post(JOBS, {**body, "assignee_person": south["guard"]}, format="json"), *ASSIGNEE)
    refused(client.post(JOBS, {**body, "assignee_team": south["team"]}, format="json"), *TEAM)

    response = post_graphql(
        Client(),
        "mutation A($input: AdhocJobInput!) { createAdhocJob(input: $input) { job { id } } }",
        {
            "input": {
                "siteId": world.north.pk,
                "title": "Fence",
                "planAt": "2026-03-04T07:00:00+00:00",
                "assigneePersonId": south["guard"],
            }
        },
        token=tenant_a_supervisor.tokens().access,
    )
    assert SECRET_NAME not in response.content.decode()
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (
            f"Person {south['guard']} cannot work at site NORTH: an active person who performs jobs "
            "and may work there is needed.",
            "assignee_cannot_work_at_site",
        )
    ]
    with tenant_context(world.tenant):
        assert Job.objects.count() == 0
