"""The console's "Jobs today" board and job page, through signed-in sessions.

Tenant A has three sites: NORTH (Asia/Kolkata, UTC+05:30), the supervisor's home site;
EAST (UTC), assigned to the supervisor; SOUTH (UTC), which the supervisor may not see.
Tenant B has a site and a job of its own. Jobs are written as rows (``make_job``) at
chosen times, so each lands in a known column; the board itself is the selector's.

The day under test is tomorrow at NORTH (so open jobs are not yet expired whatever the
hour the suite runs), and the day before yesterday for a job that expired unstarted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.checklists.models import Checklist
from apps.console.tests.test_noc_and_tickets_pages import html, nav_links, options, rows
from apps.console.tests.test_pages import external_urls, inline_scripts, signed_in
from apps.core.tenancy import tenant_context
from apps.people.models import Person, Role, Team
from apps.people.services import create_person
from apps.scheduling.models import Job, Kind, Schedule
from apps.scheduling.tests.factories import make_checklist, make_checkpoint, make_guard, make_job, make_site, make_team
from apps.sites.models import Site, SiteAssignment
from conftest import Persona, make_persona

KOLKATA = ZoneInfo("Asia/Kolkata")


class Cards(HTMLParser):
    """Per board column (section id): its count and, per job card, the text of each part."""

    PARTS = ("plan", "status", "title", "kind", "assignee", "stops")

    def __init__(self) -> None:
        super().__init__()
        self.columns: dict[str, dict[str, Any]] = {}
        self.column: str | None = None
        self.part: str | None = None
        self.card: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "section" and "board-column" in classes:
            self.column = found["id"] or ""
            self.columns[self.column] = {"count": "", "cards": []}
        elif self.column and tag == "span" and "count" in classes:
            self.part = "count"
        elif self.column and tag == "li" and "job" in classes:
            self.card = {"id": found.get("id") or ""}
            self.columns[self.column]["cards"].append(self.card)
        elif self.card is not None:
            part = next((name for name in self.PARTS if name in classes), None)
            if part:
                self.part = part
                self.card[part] = ""
                if tag == "a":
                    self.card["href"] = found.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.column = None
        elif tag == "li":
            self.card = None
        elif tag in ("span", "time", "a", "div"):
            self.part = None

    def handle_data(self, data: str) -> None:
        if self.part == "count" and self.column:
            self.columns[self.column]["count"] += data.strip()
        elif self.part and self.card is not None:
            self.card[self.part] = " ".join((self.card[self.part] + data).split())


def board_of(response: Any) -> dict[str, dict[str, Any]]:
    parser = Cards()
    parser.feed(html(response))
    return parser.columns


def counts(response: Any) -> dict[str, int]:
    return {key: int(column["count"]) for key, column in board_of(response).items()}


def cards(response: Any, column: str) -> list[tuple[str, ...]]:
    """(plan, status, title, kind, assignee, stops) of each card of ``column``."""
    return [tuple(card.get(part, "") for part in Cards.PARTS) for card in board_of(response)[column]["cards"]]


def text_of(response: Any, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|span|p|div|a)>', html(response), re.DOTALL)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def local(day: date, hour: int, minute: int = 0, tz: ZoneInfo = KOLKATA) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@dataclass
class World:
    north: Site
    east: Site
    south: Site
    day: date  # tomorrow at NORTH
    jobs: dict[str, Job]
    tour: Job
    stops: list[Job]
    patrol: Schedule
    checklist: Checklist
    other_site: Site
    other_job: Job
    viewer: Persona  # sites.view without console.access


@pytest.fixture
def world(tenant_a: Any, tenant_b: Any, tenant_a_supervisor: Persona, tenant_a_admin: Persona) -> World:
    supervisor = tenant_a_supervisor.person
    with tenant_context(tenant_a):
        north = make_site("NORTH", name="North Gate", tz="Asia/Kolkata")
        east = make_site("EAST", name="East Depot")
        south = make_site("SOUTH", name="South Yard")
        Person.objects.filter(pk=supervisor.pk).update(home_site=north)
        SiteAssignment.objects.create(person=supervisor, site=east)
        guard = make_guard(north, login="gita", name="Gita Guard")
        crew = make_team(guard)
        Team.objects.filter(pk=crew.pk).update(name="Night crew")
        viewer_role = Role.objects.create(code="site_watch", name="Site watch", capabilities=["sites.view"])
        viewer_person = create_person(
            login="viewer", name="Vic Viewer", password="pw-viewer-123", roles=[viewer_role], home_site_id=north.pk
        )

        day = timezone.now().astimezone(KOLKATA).date() + timedelta(days=1)
        checklist = make_checklist(Checklist.Kind.CHECKLIST, name="Night patrol checks")
        patrol = Schedule.objects.create(
            name="Night patrol",
            kind=Kind.INTERNAL_TOUR,
            site=north,
            cron="30 0 * * *",
            valid_from=local(day, 0) - timedelta(days=7),
            checklist=checklist,
            assignee_team=crew,
        )
        version = checklist.current_version
        occurrence = local(day, 0, 30)
        jobs = {
            # 00:15 IST is still the day before in UTC: on this day's board all the same.
            "early": make_job(site=north, title="Gate log review", plan_at=local(day, 0, 15), assignee_person=guard),
            "pump": make_job(
                site=north,
                title="Pump maintenance",
                kind=Job.Kind.PPM,
                plan_at=local(day, 9),
                status=Job.Status.INPROGRESS,
                started_at=local(day, 9, 5),
                assignee_person=guard,
            ),
            "lights": make_job(
                site=north,
                title="Perimeter light check",
                plan_at=local(day, 18, 30),
                status=Job.Status.COMPLETED,
                ended_at=local(day, 18, 50),
                assignee_team=crew,
            ),
            "report": make_job(
                site=north,
                title="Daily site report",
                kind=Job.Kind.SITE_REPORT,
                plan_at=local(day, 23, 45),
                status=Job.Status.AUTOCLOSED,
            ),
            # Not on the board: the evening before (local), another site, another day.
            "eve": make_job(site=north, title="Yesterday evening", plan_at=local(day, 23, 50) - timedelta(days=1)),
            "next": make_job(site=north, title="Next morning", plan_at=local(day, 0, 5) + timedelta(days=1)),
            "east": make_job(site=east, title="East depot round", plan_at=local(day, 10, tz=ZoneInfo("UTC"))),
            "south": make_job(site=south, title="South yard round", plan_at=local(day, 10, tz=ZoneInfo("UTC"))),
        }
        tour = make_job(
            site=north,
            schedule=patrol,
            occurrence_at=occurrence,
            kind=Job.Kind.INTERNAL_TOUR,
            title="Night patrol",
            plan_at=occurrence,
            duration_minutes=30,
            expires_at=occurrence + timedelta(minutes=45),
            status=Job.Status.INPROGRESS,
            started_at=occurrence,
            assignee_team=crew,
            checklist_version=version,
            priority="HIGH",
            scan_type="NFC",
        )
        stops = []
        for seq, (name, status) in enumerate(
            [
                ("Main gate", Job.Status.COMPLETED),
                ("Car park", Job.Status.INPROGRESS),
                ("Store room", Job.Status.ASSIGNED),
            ],
            start=1,
        ):
            plan_at = occurrence + timedelta(minutes=10 * (seq - 1))
            stops.append(
                make_job(
                    site=north,
                    schedule=patrol,
                    occurrence_at=occurrence,
                    seq=seq,
                    parent=tour,
                    kind=Job.Kind.STOP,
                    title=f"Night patrol: {name}",
                    asset=make_checkpoint(north, f"CP{seq}", name=name),
                    plan_at=plan_at,
                    duration_minutes=10,
                    expires_at=plan_at + timedelta(minutes=15),
                    status=status,
                    assignee_team=crew,
                    checklist_version=version,
                )
            )
        jobs["tour"] = tour
    with tenant_context(tenant_b):
        other_site = make_site("BRAVO", name="Bravo HQ")
        other_job = make_job(site=other_site, title="Bravo job", plan_at=local(day, 10))
    viewer = Persona(person=viewer_person, tenant=tenant_a, login="viewer", password="pw-viewer-123")
    return World(
        north=north,
        east=east,
        south=south,
        day=day,
        jobs=jobs,
        tour=tour,
        stops=stops,
        patrol=patrol,
        checklist=checklist,
        other_site=other_site,
        other_job=other_job,
        viewer=viewer,
    )


def board_path(site: Site | None = None, day: date | str | None = None) -> str:
    query = []
    if site is not None:
        query.append(f"site={site.pk}")
    if day is not None:
        query.append(f"date={day}")
    return "/jobs/" + ("?" + "&".join(query) if query else "")


# --- the board ----------------------------------------------------------------------------------


def test_the_board_shows_the_sites_day_in_four_columns(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(board_path(world.north, world.day))

    assert response.status_code == 200
    assert counts(response) == {"planned": 1, "in_progress": 2, "done": 1, "missed": 1}
    assert cards(response, "planned") == [("00:15", "Assigned", "Gate log review", "Task", "Gita Guard", "")]
    assert cards(response, "in_progress") == [
        ("00:30", "In progress", "Night patrol", "Internal tour", "Night crew (team)", "1/3 stops done"),
        ("09:00", "In progress", "Pump maintenance", "Preventive maintenance", "Gita Guard", ""),
    ]
    assert cards(response, "done") == [("18:30", "Completed", "Perimeter light check", "Task", "Night crew (team)", "")]
    assert cards(response, "missed") == [("23:45", "Auto-closed", "Daily site report", "Site report", "Unassigned", "")]
    tour_card = board_of(response)["in_progress"]["cards"][0]
    assert (tour_card["id"], tour_card["href"]) == (f"job-{world.tour.pk}", f"/jobs/{world.tour.pk}/")
    assert text_of(response, "board-zone") == "North Gate: jobs planned this day, times in Asia/Kolkata."
    assert text_of(response, "board-day") == f"NORTH · {world.day:%A} {world.day.day} {world.day:%B %Y}"
    assert (inline_scripts(html(response)), external_urls(html(response))) == ([], [])


def test_the_site_picker_offers_the_visible_sites_and_the_days_around(
    world: World, tenant_a_supervisor: Persona
) -> None:
    response = signed_in(tenant_a_supervisor).get(board_path(world.north, world.day))

    assert options(response, "site") == [
        (str(world.east.pk), "EAST · East Depot"),
        (str(world.north.pk), "NORTH · North Gate"),
    ]
    assert f'<option value="{world.north.pk}" selected>' in html(response)
    assert f'value="{world.day.isoformat()}"' in html(response)
    before, after = world.day - timedelta(days=1), world.day + timedelta(days=1)
    assert f'id="day-previous" href="?site={world.north.pk}&amp;date={before.isoformat()}"' in html(response)
    assert f'id="day-next" href="?site={world.north.pk}&amp;date={after.isoformat()}"' in html(response)
    today = world.day - timedelta(days=1)  # the day under test is tomorrow
    assert f'id="day-today" href="?site={world.north.pk}&amp;date={today.isoformat()}"' in html(response)


def test_another_visible_site_shows_its_own_jobs(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(board_path(world.east, world.day))

    assert response.status_code == 200
    assert counts(response) == {"planned": 1, "in_progress": 0, "done": 0, "missed": 0}
    assert cards(response, "planned") == [("10:00", "Assigned", "East depot round", "Task", "Unassigned", "")]
    assert text_of(response, "board-zone") == "East Depot: jobs planned this day, times in UTC."


def test_without_parameters_the_board_is_today_at_the_home_site(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get("/jobs/")

    today = timezone.now().astimezone(KOLKATA).date()
    assert response.status_code == 200
    assert text_of(response, "board-day") == f"NORTH · {today:%A} {today.day} {today:%B %Y}"
    assert "<h1>Jobs today</h1>" in html(response)
    assert 'id="day-today"' not in html(response)
    assert f'id="day-next" href="?site={world.north.pk}&amp;date={world.day.isoformat()}"' in html(response)


def test_someone_without_a_home_site_gets_their_first_site(world: World, tenant_a_admin: Persona) -> None:
    response = signed_in(tenant_a_admin).get(f"/jobs/?date={world.day}")

    # The admin sees every site of the tenant, by code: EAST first.
    labels = [label for _, label in options(response, "site")]
    assert labels[:2] == ["EAST · East Depot", "NORTH · North Gate"]
    assert "SOUTH · South Yard" in labels
    assert f'<option value="{world.east.pk}" selected>' in html(response)
    assert text_of(response, "board-day").startswith("EAST · ")
    assert cards(response, "planned") == [("10:00", "Assigned", "East depot round", "Task", "Unassigned", "")]


def test_an_assigned_job_past_its_expiry_is_missed(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    past = world.day - timedelta(days=3)
    with tenant_context(tenant_a):
        make_job(site=world.north, title="Fire extinguisher check", plan_at=local(past, 9), priority="HIGH")

    response = signed_in(tenant_a_supervisor).get(board_path(world.north, past))

    assert counts(response) == {"planned": 0, "in_progress": 0, "done": 0, "missed": 1}
    assert cards(response, "missed") == [("09:00", "Assigned", "Fire extinguisher check", "Task", "Unassigned", "")]
    assert "<h1>Jobs on " in html(response)


def test_an_empty_day_says_so(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(board_path(world.north, "2030-06-01"))

    assert counts(response) == {"planned": 0, "in_progress": 0, "done": 0, "missed": 0}
    assert html(response).count('<li class="empty">None.</li>') == 4
    assert "<title>Jobs on 2030-06-01 · Youtility</title>" in html(response)


@pytest.mark.parametrize(
    "raw", ["tomorrow", "2026-02-30", "1999-12-31", "2100-01-01", "2026-3-1", "2026-W10-1", "20260301"]
)
def test_a_bad_date_is_refused_and_today_shown(world: World, tenant_a_supervisor: Persona, raw: str) -> None:
    response = signed_in(tenant_a_supervisor).get(f"/jobs/?site={world.north.pk}&date={raw}")

    today = timezone.now().astimezone(KOLKATA).date()
    assert response.status_code == 400
    assert text_of(response, "board-error") == "Choose a date as YYYY-MM-DD between 2000-01-01 and 2099-12-31."
    assert text_of(response, "board-day") == f"NORTH · {today:%A} {today.day} {today:%B %Y}"


def test_the_first_and_last_days_have_no_link_beyond(world: World, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    first, last = client.get(board_path(world.north, "2000-01-01")), client.get(board_path(world.north, "2099-12-31"))

    assert (first.status_code, last.status_code) == (200, 200)
    assert ('id="day-previous"' in html(first), 'id="day-next"' in html(first)) == (False, True)
    assert ('id="day-previous"' in html(last), 'id="day-next"' in html(last)) == (True, False)


def test_an_unseen_or_another_tenants_site_is_not_found(world: World, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)

    assert client.get(board_path(world.south, world.day)).status_code == 404
    assert client.get(board_path(world.other_site, world.day)).status_code == 404
    assert client.get("/jobs/?site=abc").status_code == 404
    assert client.get("/jobs/?site=99999999999999999999").status_code == 404


def test_someone_who_sees_no_site_gets_an_empty_page(tenant_a: Any) -> None:
    lonely = make_persona(tenant_a, "supervisor", login="lonely")

    response = signed_in(lonely).get("/jobs/")

    assert response.status_code == 200
    assert text_of(response, "board-empty") == "You may see no site, so there is no board to show."
    assert 'class="board-column' not in html(response)


# --- a job --------------------------------------------------------------------------------------


def test_the_tour_page_shows_the_tour_and_its_stops_in_order(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(f"/jobs/{world.tour.pk}/")

    day = world.day.isoformat()
    assert response.status_code == 200
    assert "<h1>Night patrol</h1>" in html(response)
    assert text_of(response, "job-status") == "In progress"
    assert text_of(response, "job-kind") == "Internal tour"
    assert text_of(response, "job-site") == "NORTH · North Gate"
    assert text_of(response, "job-plan") == f"{day} 00:30 (Asia/Kolkata), 30 min"
    assert text_of(response, "job-expires") == f"{day} 01:15"
    assert text_of(response, "job-assignee") == "Night crew (team)"
    assert text_of(response, "job-scan") == "NFC tag"
    assert text_of(response, "job-schedule") == "Night patrol"
    assert text_of(response, "job-checklist") == "Night patrol checks, version 1"
    assert text_of(response, "job-started") == f"{day} 00:30"
    assert text_of(response, "stops-done") == "1/3 done"
    assert rows(response, "stops") == [
        ["1", "Main gate", "NORTH", "Completed", f"{day} 00:30", f"{day} 00:45", "Night patrol checks v1"],
        ["2", "Car park", "NORTH", "In progress", f"{day} 00:40", f"{day} 00:55", "Night patrol checks v1"],
        ["3", "Store room", "NORTH", "Assigned", f"{day} 00:50", f"{day} 01:05", "Night patrol checks v1"],
    ]
    assert f'<a href="/jobs/?site={world.north.pk}&amp;date={day}">← Jobs of NORTH on {day}</a>' in html(response)
    assert (inline_scripts(html(response)), external_urls(html(response))) == ([], [])


def test_a_stop_page_links_back_to_its_tour(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(f"/jobs/{world.stops[1].pk}/")

    assert response.status_code == 200
    assert "<h1>Night patrol: Car park</h1>" in html(response)
    assert text_of(response, "job-kind") == "Tour stop"
    assert text_of(response, "job-asset") == "CP2 · Car park"
    assert f'<a id="job-parent" href="/jobs/{world.tour.pk}/">The tour</a>' in html(response)
    assert 'id="stops"' not in html(response)


def test_an_ad_hoc_job_has_no_schedule_or_checklist(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(f"/jobs/{world.jobs['lights'].pk}/")

    day = world.day.isoformat()
    assert text_of(response, "job-schedule") == "None (ad hoc)"
    assert text_of(response, "job-checklist") == "None"
    assert text_of(response, "job-plan") == f"{day} 18:30 (Asia/Kolkata), 30 min"
    assert text_of(response, "job-ended") == f"{day} 18:50"


def test_an_unseen_or_another_tenants_job_is_not_found(world: World, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)

    assert client.get(f"/jobs/{world.jobs['south'].pk}/").status_code == 404
    assert client.get(f"/jobs/{world.other_job.pk}/").status_code == 404
    assert client.get("/jobs/99999999999999999999/").status_code == 404


# --- who may open the pages ---------------------------------------------------------------------


def test_a_guard_is_refused(world: World, tenant_a_guard: Persona) -> None:
    client = signed_in(tenant_a_guard)

    assert client.get(board_path(world.north, world.day)).status_code == 403
    assert client.get(f"/jobs/{world.tour.pk}/").status_code == 403
    assert "Jobs today" not in nav_links(client.get("/"))


def test_sites_view_without_console_access_is_refused(world: World) -> None:
    client = signed_in(world.viewer)

    assert client.get(board_path(world.north, world.day)).status_code == 403
    assert client.get(f"/jobs/{world.tour.pk}/").status_code == 403


def test_signed_out_the_board_sends_to_sign_in(world: World, client: Any) -> None:
    response = client.get("/jobs/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/jobs/")


def test_the_navigation_links_the_board(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(board_path(world.north, world.day))

    assert nav_links(response) == ["Home", "Alerts", "Tickets", "Jobs today"]
    assert '<a href="/jobs/" aria-current="page">Jobs today</a>' in html(response)


def test_only_get_is_allowed(world: World, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)

    assert client.post("/jobs/").status_code == 405
    assert client.post(f"/jobs/{world.tour.pk}/").status_code == 405


def test_the_board_queries_do_not_grow_with_jobs(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    path = board_path(world.north, world.day)
    client.get(path)  # the first request fills the session's caches
    with CaptureQueriesContext(connection) as before:
        client.get(path)
    with tenant_context(tenant_a):
        other = make_guard(world.north, login="omar", name="Omar Other")
        for hour in (11, 12, 13):
            make_job(site=world.north, title=f"Round {hour}", plan_at=local(world.day, hour), assignee_person=other)
            tour = make_job(
                site=world.north, kind=Job.Kind.INTERNAL_TOUR, title=f"Tour {hour}", plan_at=local(world.day, hour)
            )
            make_job(
                site=world.north, kind=Job.Kind.STOP, parent=tour, seq=1, title="Stop", plan_at=local(world.day, hour)
            )

    with CaptureQueriesContext(connection) as after:
        response = client.get(path)

    assert counts(response) == {"planned": 7, "in_progress": 2, "done": 1, "missed": 1}
    assert [card[-1] for card in cards(response, "planned")] == [
        "",
        "",
        "0/1 stops done",
        "",
        "0/1 stops done",
        "",
        "0/1 stops done",
    ]
    assert len(after.captured_queries) == len(before.captured_queries)
