"""Who sees which schedules and jobs, fetching one by id, and the day board of a site."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from apps.core.errors import NotFound
from apps.core.tenancy import tenant_context
from apps.people.models import Person, Team
from apps.scheduling import selectors, services
from apps.scheduling.models import Job, Kind, Schedule
from conftest import Persona

from .conftest import Clock, World
from .factories import make_guard, make_job, make_schedule, make_site, make_tour

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(world: World, clock: Clock, in_tenant_a: Any) -> World:
    return world


def ids(rows: Any) -> list[int]:
    return sorted(row.pk for row in rows)


# --- schedules --------------------------------------------------------------------------------


@pytest.fixture
def schedules(env: World) -> dict[str, Schedule]:
    return {
        "north": make_schedule(name="North task", site=env.north, assignee_person=env.guard),
        "south": make_schedule(name="South task", site=env.south, assignee_person=env.south_guard),
        "route": make_schedule(
            name="Route",
            kind=Kind.EXTERNAL_TOUR,
            site_group=env.route,
            cron="0 */6 * * *",
            assignee_person=make_guard(env.north, group=env.route),
        ),
    }


def test_admin_sees_every_schedule_of_the_tenant_only(
    env: World, schedules: dict[str, Schedule], tenant_b: Any, tenant_b_admin: Persona
) -> None:
    with tenant_context(tenant_b):
        theirs = make_schedule(name="Bravo task")
        assert ids(selectors.schedules_for(tenant_b_admin.person)) == [theirs.pk]
        with pytest.raises(NotFound):
            selectors.get_schedule_for(tenant_b_admin.person, schedules["north"].pk)
    assert ids(selectors.schedules_for(env.admin)) == ids(schedules.values())
    with pytest.raises(NotFound):
        selectors.get_schedule_for(env.admin, theirs.pk)


def test_supervisor_sees_schedules_of_their_sites_and_routes(env: World, schedules: dict[str, Schedule]) -> None:
    assert ids(selectors.schedules_for(env.supervisor)) == ids([schedules["north"], schedules["route"]])
    assert selectors.get_schedule_for(env.supervisor, str(schedules["north"].pk)) == schedules["north"]
    with pytest.raises(NotFound):
        selectors.get_schedule_for(env.supervisor, schedules["south"].pk)


def test_planner_of_part_of_a_route_reads_it_but_cannot_edit_it(env: World, schedules: dict[str, Schedule]) -> None:
    route = selectors.get_schedule_for(env.supervisor, schedules["route"].pk)
    with pytest.raises(Exception) as excinfo:
        services.update_schedule(env.supervisor, route, name="Renamed")
    assert getattr(excinfo.value, "code", None) == "unknown_site_group"


def test_workers_and_client_viewers_read_no_schedules(
    env: World, schedules: dict[str, Schedule], tenant_a_client: Persona
) -> None:
    assert list(selectors.schedules_for(env.guard)) == []
    assert list(selectors.schedules_for(tenant_a_client.person)) == []
    with pytest.raises(NotFound):
        selectors.get_schedule_for(env.guard, schedules["north"].pk)


@pytest.mark.parametrize("bad", ["abc", "", "-1", None, "1.5"])
def test_malformed_ids_are_not_found(env: World, bad: Any) -> None:
    with pytest.raises(NotFound):
        selectors.get_schedule_for(env.admin, bad)
    with pytest.raises(NotFound):
        selectors.get_job_for(env.admin, bad)


# --- jobs -----------------------------------------------------------------------------------------


@pytest.fixture
def jobs(env: World) -> dict[str, Job]:
    colleague = make_guard(env.north, login="colleague")
    tour = make_job(site=env.north, kind=Job.Kind.INTERNAL_TOUR, assignee_person=env.guard)
    return {
        "mine": make_job(site=env.north, assignee_person=env.guard),
        "crew": make_job(site=env.north, assignee_team=env.crew),
        "colleague": make_job(site=env.north, assignee_person=colleague),
        "south": make_job(site=env.south, assignee_person=env.south_guard),
        "tour": tour,
        "stop": make_job(
            site=env.north, kind=Job.Kind.STOP, parent=tour, seq=1, assignee_person=env.guard, title="Tour: CP1"
        ),
    }


def test_a_guard_sees_only_their_own_and_their_teams_jobs(env: World, jobs: dict[str, Job]) -> None:
    assert ids(selectors.jobs_for(env.guard)) == ids([jobs["mine"], jobs["crew"], jobs["tour"], jobs["stop"]])
    assert ids(selectors.jobs_for(env.south_guard)) == ids([jobs["crew"], jobs["south"]])
    assert selectors.get_job_for(env.guard, jobs["crew"].pk) == jobs["crew"]
    with pytest.raises(NotFound):
        selectors.get_job_for(env.guard, jobs["colleague"].pk)
    Team.objects.filter(pk=env.crew.pk).update(is_active=False)
    assert ids(selectors.jobs_for(env.south_guard)) == [jobs["south"].pk]


def test_a_planner_sees_the_jobs_of_their_sites(env: World, jobs: dict[str, Job]) -> None:
    north = [jobs[name] for name in ("mine", "crew", "colleague", "tour", "stop")]
    assert ids(selectors.jobs_for(env.supervisor)) == ids(north)
    with pytest.raises(NotFound):
        selectors.get_job_for(env.supervisor, jobs["south"].pk)
    assert ids(selectors.jobs_for(env.admin)) == ids(jobs.values())


def test_nobody_else_reads_jobs(env: World, jobs: dict[str, Job], tenant_a_client: Persona) -> None:
    assert list(selectors.jobs_for(tenant_a_client.person)) == []
    Person.objects.filter(pk=env.guard.pk).update(is_active=False)
    inactive = Person.objects.get(pk=env.guard.pk)
    assert list(selectors.jobs_for(inactive)) == []


def test_another_tenant_never_sees_the_jobs(
    env: World, jobs: dict[str, Job], tenant_b: Any, tenant_b_admin: Persona, tenant_b_guard: Persona
) -> None:
    with tenant_context(tenant_b):
        theirs = make_job(site=make_site("B-SITE"), assignee_person=tenant_b_guard.person)
        assert ids(selectors.jobs_for(tenant_b_admin.person)) == [theirs.pk]
        assert ids(selectors.jobs_for(tenant_b_guard.person)) == [theirs.pk]
        for job in jobs.values():
            with pytest.raises(NotFound):
                selectors.get_job_for(tenant_b_admin.person, job.pk)
    with pytest.raises(NotFound):
        selectors.get_job_for(env.admin, theirs.pk)


def test_generated_tour_stops_are_seen_by_the_tours_assignee(env: World) -> None:
    tour = make_tour(stops=2, site=env.north, assignee_team=env.crew, cron="0 9 * * *")
    parent = Job.objects.filter(schedule=tour, parent__isnull=True).order_by("plan_at").first()
    assert parent is not None
    family = ids(Job.objects.filter(schedule=tour, occurrence_at=parent.occurrence_at))
    assert len(family) == 3
    seen = ids(selectors.jobs_for(env.south_guard).filter(schedule=tour, occurrence_at=parent.occurrence_at))
    assert seen == family


# --- the board ------------------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def day_jobs(env: World) -> dict[str, Job]:
    """NORTH is UTC+4: its 4 March runs from 3 March 20:00 to 4 March 20:00 UTC; now is 06:00 UTC."""

    def job(plan_at: datetime, status: str = Job.Status.ASSIGNED, **fields: Any) -> Job:
        fields.setdefault("site", env.north)
        fields.setdefault("assignee_person", env.guard)
        return make_job(plan_at=plan_at, status=status, **fields)

    tour = job(at(4, 7), kind=Job.Kind.INTERNAL_TOUR)
    return {
        "day_before": job(at(3, 19, 59)),
        "first_minute": job(at(3, 20)),  # expired at 20:45 without being done
        "autoclosed": job(at(4, 3), Job.Status.AUTOCLOSED),
        "partial": job(at(4, 2), Job.Status.PARTIALLY_COMPLETED, kind=Job.Kind.INTERNAL_TOUR),
        "done": job(at(4, 4), Job.Status.COMPLETED),
        "running": job(at(4, 5), Job.Status.INPROGRESS, assignee_person=env.south_guard),
        "expires_now": job(at(4, 5, 15)),  # expires at 06:00, i.e. now
        "tour": tour,
        "stop": job(at(4, 7), kind=Job.Kind.STOP, parent=tour, seq=1),
        "last_minute": job(at(4, 19, 59), assignee_team=env.crew, assignee_person=None),
        "day_after": job(at(4, 20)),
        "south": job(at(4, 7), site=env.south),
    }


def test_board_of_a_site_today(env: World, day_jobs: dict[str, Job]) -> None:
    board = selectors.board(env.supervisor, env.north)
    assert (board["site"], board["date"]) == (env.north, date(2026, 3, 4))
    assert board["counts"] == {"planned": 2, "in_progress": 1, "done": 1, "missed": 4}
    names = {job.pk: name for name, job in day_jobs.items()}
    assert {key: [names[job.pk] for job in board[key]] for key in ("planned", "in_progress", "done", "missed")} == {
        "planned": ["tour", "last_minute"],
        "in_progress": ["running"],
        "done": ["done"],
        "missed": ["first_minute", "partial", "autoclosed", "expires_now"],
    }
    assert board["planned"][1].assignee_team == env.crew  # joined for rendering


def test_board_of_another_day_and_by_site_id(env: World, day_jobs: dict[str, Job]) -> None:
    board = selectors.board(env.admin, str(env.north.pk), date(2026, 3, 3))
    assert board["counts"] == {"planned": 0, "in_progress": 0, "done": 0, "missed": 1}
    assert [job.pk for job in board["missed"]] == [day_jobs["day_before"].pk]


def test_a_guard_sees_only_their_jobs_on_the_board(env: World, day_jobs: dict[str, Job]) -> None:
    with pytest.raises(NotFound):  # the south guard may not see NORTH at all
        selectors.board(env.south_guard, env.north.pk)
    mine = selectors.board(env.guard, env.north)
    assert mine["counts"] == {"planned": 2, "in_progress": 0, "done": 1, "missed": 4}


def test_board_of_a_site_out_of_sight_or_of_another_tenant(env: World, tenant_b: Any, tenant_b_admin: Persona) -> None:
    with pytest.raises(NotFound):
        selectors.board(env.supervisor, env.south)
    with tenant_context(tenant_b), pytest.raises(NotFound):
        selectors.board(tenant_b_admin.person, env.north.pk)


def test_board_days_follow_daylight_saving(env: World, clock: Clock) -> None:
    # London's 29 March 2026 has 23 hours: 00:00 GMT to 00:00 BST (23:00 UTC).
    start, end = selectors.local_day(env.south, date(2026, 3, 29))
    assert (start, end - start) == (at(29, 0), timedelta(hours=23))
    inside = make_job(site=env.south, plan_at=at(29, 22, 59), status=Job.Status.COMPLETED)
    make_job(site=env.south, plan_at=at(29, 23), status=Job.Status.COMPLETED)
    clock.set(at(29, 12))
    board = selectors.board(env.admin, env.south)
    assert board["date"] == date(2026, 3, 29)
    assert [job.pk for job in board["done"]] == [inside.pk]
