"""Demo schedules: per tenant 30 tasks, 12 internal tours of 6-10 stops, 3 external tours
and 20 maintenance (PPM) schedules, all valid from the start of yesterday.

The schedules go through ``services.create_schedule`` like any other door's. Then the
demo plans from 12 hours ago (the periodic run plans from now), closes what has already
expired and reports the misses, so a fresh ``make run`` shows jobs for today and
tomorrow, some of them already missed, with their alerts and tickets.

Idempotent: a schedule is matched by its name and left alone when it exists; planning
and auto-close are idempotent themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.assets.models import Asset
from apps.checklists.models import Checklist
from apps.people.models import Person, Team
from apps.sites.models import Site, SiteAssignment, SiteGroup
from apps.tenants.models import Lookup

from . import autoclose, generation, services
from .models import Kind, Priority, ScanType, Schedule

TASKS = [
    ("Fire extinguisher check", "0 9 * * *", "FIRE-AUDIT", 20),
    ("Gate log review", "0 */2 * * *", "NIGHT-PATROL", 15),
    ("Perimeter light check", "30 18 * * *", "NIGHT-PATROL", 20),
    ("Visitor register audit", "0 11,17 * * *", "NIGHT-PATROL", 15),
    ("Emergency exit check", "15 */4 * * *", "FIRE-AUDIT", 20),
]
TOUR_CRONS = ["0 * * * *", "30 */2 * * *"]
EXTERNAL_TOURS = [
    # (route index, name, cron, random order, rounds, break)
    (0, "Mobile patrol", "0 */6 * * *", False, 1, 0),
    (0, "Night mobile patrol", "0 21 * * *", True, 2, 30),
    (1, "Area manager visit", "0 10 * * *", False, 1, 0),
]
PPM_CRONS = ["0 10 * * *", "0 14 * * *", "0 9 * * 1", "30 7 * * *"]
TASKS_PER_TENANT = 30
PPM_PER_TENANT = 20


#: How far back the demo plans, so that whatever the time of day some work has expired.
BACKFILL = timedelta(hours=12)


def _start_of_yesterday(tz_name: str) -> datetime:
    tz = ZoneInfo(tz_name)
    return datetime.combine(timezone.now().astimezone(tz).date() - timedelta(days=1), time(0), tzinfo=tz)


def _guards_by_site(sites: list[Site]) -> dict[int, list[Person]]:
    guards: dict[int, list[Person]] = {site.pk: [] for site in sites}
    for person in Person.objects.filter(login__startswith="guard", is_active=True).order_by("login"):
        if person.home_site_id in guards:
            guards[person.home_site_id].append(person)
    return guards


def _create(existing: set[str], name: str, **fields: Any) -> int:
    if name in existing:
        return 0
    services.create_schedule(None, name=name, **fields)
    existing.add(name)
    return 1


def load_schedules(tenant: Any, say: Callable[[str], None]) -> None:
    sites = list(Site.objects.filter(is_active=True).order_by("code"))
    checklists = {checklist.code: checklist for checklist in Checklist.objects.all()}
    if not sites or "NIGHT-PATROL" not in checklists:
        return
    start = _start_of_yesterday(tenant.timezone)
    existing = set(Schedule.objects.values_list("name", flat=True))
    guards = _guards_by_site(sites)
    teams = list(Team.objects.filter(code__startswith="TEAM-").order_by("code"))
    supervisor = Person.objects.filter(login="supervisor").first()
    security = Lookup.objects.filter(kind=Lookup.Kind.TICKET_CATEGORY, code="SECURITY").first()
    common = {"valid_from": start, "grace_minutes": 15}
    created = 0

    for n in range(TASKS_PER_TENANT):
        site = sites[n % len(sites)]
        title, cron, checklist, minutes = TASKS[n // len(sites) % len(TASKS)]
        people = guards[site.pk]
        created += _create(
            existing,
            f"{title} - {site.name}",
            kind=Kind.TASK,
            site=site,
            cron=cron,
            duration_minutes=minutes,
            checklist=checklists[checklist],
            assignee_person=people[n % len(people)] if people else None,
            assignee_team=None if people else teams[0],
            priority=Priority.HIGH if checklist == "FIRE-AUDIT" else Priority.MEDIUM,
            scan_type=ScanType.QR,
            **common,
        )

    for n in range(12):
        site = sites[n % len(sites)]
        checkpoints = list(Asset.objects.filter(site=site, kind=Asset.Kind.CHECKPOINT, is_active=True).order_by("code"))
        count = 6 + n % 5
        if len(checkpoints) < count:
            continue
        people = guards[site.pk]
        team = next((t for t in teams if t.memberships.filter(person__home_site=site).exists()), None)
        created += _create(
            existing,
            f"{'Night' if n >= len(sites) else 'Day'} patrol - {site.name}",
            kind=Kind.INTERNAL_TOUR,
            site=site,
            cron=TOUR_CRONS[n // len(sites) % len(TOUR_CRONS)],
            duration_minutes=5,
            checklist=checklists["NIGHT-PATROL"],
            assignee_person=None if team else (people[0] if people else None),
            assignee_team=team,
            priority=Priority.HIGH,
            scan_type=ScanType.NFC if n % 3 == 0 else ScanType.QR,
            # The first site's tours raise a security ticket when missed.
            ticket_on_miss=True if site == sites[0] and security else None,
            ticket_category=security if site == sites[0] else None,
            stops=[
                {"checkpoint": checkpoint, "offset_minutes": 2 + i % 3, "duration_minutes": 3}
                for i, checkpoint in enumerate(checkpoints[:count])
            ],
            **common,
        )

    routes = list(SiteGroup.objects.filter(is_active=True).order_by("code"))
    patrollers = list(Person.objects.filter(login__in=["guard1", "guard2"]).order_by("login"))
    for index, name, cron, random_order, rounds, break_minutes in EXTERNAL_TOURS:
        if index >= len(routes) or not patrollers:
            continue
        route = routes[index]
        patroller = patrollers[index % len(patrollers)]
        SiteAssignment.objects.get_or_create(person=patroller, site_group=route)
        created += _create(
            existing,
            f"{name} - {route.name}",
            kind=Kind.EXTERNAL_TOUR,
            site_group=route,
            cron=cron,
            duration_minutes=15,
            travel_minutes=20,
            random_order=random_order,
            rounds=rounds,
            break_minutes=break_minutes,
            checklist=checklists["NIGHT-PATROL"],
            assignee_person=patroller,
            scan_type=ScanType.GPS,
            **common,
        )

    assets = list(
        Asset.objects.filter(kind=Asset.Kind.ASSET, is_active=True)
        .exclude(status=Asset.Status.SCRAPPED)
        .order_by("code")[:PPM_PER_TENANT]
    )
    for n, asset in enumerate(assets):
        people = guards.get(asset.site_id) or []
        created += _create(
            existing,
            f"Maintenance of {asset.name} ({asset.code})",
            kind=Kind.PPM,
            site=asset.site,
            asset=asset,
            cron=PPM_CRONS[n % len(PPM_CRONS)],
            duration_minutes=60,
            checklist=checklists["HVAC-PPM"],
            assignee_person=people[0] if people else None,
            assignee_team=None if people else teams[0],
            reminder_offsets=[60, 24 * 60],
            notify_person_ids=[supervisor.pk] if supervisor else [],
            scan_type=ScanType.QR,
            **common,
        )
    say(f"  scheduling: {created} schedules created ({len(existing)} in all)")


def plan_demo_day(tenant: Any, say: Callable[[str], None]) -> None:
    """Plan from the start of today, then close and report what has already expired."""
    schedules = Schedule.objects.filter(is_active=True, valid_from__lte=timezone.now())
    if not schedules.exists():
        return
    # The periodic run plans from now on; the demo plans the last hours too (idempotent:
    # what exists already is not planned twice).
    start = timezone.now() - BACKFILL
    Schedule.objects.filter(is_active=True).update(generated_until=None)
    planned = generation.generate_tenant(now=start)
    closed = autoclose.autoclose_tenant()
    reported = autoclose.report_missed_tenant(limit=10_000)
    say(f"  jobs: {planned} planned from 12 hours ago, {closed} expired and auto-closed, {reported} misses reported")


DEMO_STEPS = [(60, load_schedules), (70, plan_demo_day)]
