"""Factories for the scheduling tests and the tenant-isolation test (see apps/core/testing/isolation.py).

Sites, checkpoints, assets and people are made directly (these tests are about
scheduling); checklists are published through their service, and schedules go through
``services.create_schedule``, as every door does, so a schedule made here has its jobs
planned exactly like one made through the API. Every helper works on the tenant in context.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.contrib.gis.geos import Point
from django.utils import timezone

from apps.assets.models import Asset
from apps.checklists import services as checklist_services
from apps.checklists.models import AnswerType, Checklist
from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.people.models import Person, Team, TeamMembership
from apps.people.services import create_person, ensure_seed_roles
from apps.scheduling.models import Job, Kind, Reminder, Schedule, ScheduleStop
from apps.sites.models import Client, Site, SiteAssignment, SiteGroup, SiteGroupMember
from apps.tenants.models import Tenant


def _suffix() -> str:
    return uuid4().hex[:8]


def hour_floor(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) rounded down to the hour, a convenient ``valid_from``."""
    return (moment or timezone.now()).replace(minute=0, second=0, microsecond=0)


def make_site(
    code: str | None = None,
    *,
    client: Client | None = None,
    name: str = "",
    tz: str = "UTC",
    lon: float = 55.27,
    lat: float = 25.2,
    **fields: Any,
) -> Site:
    """A site (and, unless given, its client) of the tenant in context, in time zone ``tz``."""
    suffix = _suffix()
    if client is None:
        client = Client.objects.create(code=f"C-{suffix}", name=f"Client {suffix}")
    code = code or f"S-{suffix}"
    return Site.objects.create(
        client=client, code=code, name=name or f"Site {code}", location=Point(lon, lat), timezone=tz, **fields
    )


def make_site_group(sites: list[Site], code: str | None = None, **fields: Any) -> SiteGroup:
    """A site group whose members are ``sites`` in that order (positions 1..n)."""
    code = code or f"G-{_suffix()}"
    group = SiteGroup.objects.create(code=code, name=fields.pop("name", f"Route {code}"), **fields)
    for position, site in enumerate(sites, start=1):
        SiteGroupMember.objects.create(group=group, site=site, position=position)
    return group


def make_checkpoint(site: Site, code: str | None = None, **fields: Any) -> Asset:
    """A checkpoint of ``site`` with a tag (its code in lower case)."""
    code = code or f"CP-{_suffix()}"
    fields.setdefault("name", f"Checkpoint {code}")
    fields.setdefault("tag", f"tag-{code.lower()}")
    return Asset.objects.create(site=site, code=code, kind=Asset.Kind.CHECKPOINT, **fields)


def make_asset(site: Site, code: str | None = None, **fields: Any) -> Asset:
    """An asset (equipment, kind ASSET) of ``site``."""
    code = code or f"AS-{_suffix()}"
    fields.setdefault("name", f"Asset {code}")
    return Asset.objects.create(site=site, code=code, kind=Asset.Kind.ASSET, **fields)


def make_checklist(kind: str = Checklist.Kind.CHECKLIST, code: str | None = None, **fields: Any) -> Checklist:
    """A checklist of ``kind`` published (version 1) with one single-line question."""
    code = code or f"CL-{_suffix()}"
    question = checklist_services.create_question(
        code=f"Q-{_suffix()}", text="Everything in order?", answer_type=AnswerType.SINGLE_LINE
    )
    version = checklist_services.publish_checklist(
        None,
        code=code,
        name=fields.pop("name", f"Checklist {code}"),
        kind=kind,
        sections=[{"title": "Main", "items": [{"question_id": question.pk}]}],
        **fields,
    )
    return version.checklist


def make_person(role: str = "guard", *, login: str | None = None, **fields: Any) -> Person:
    """A person of the tenant in context with the seed role ``role`` (no password)."""
    roles = ensure_seed_roles()
    login = login or f"{role}-{_suffix()}"
    return create_person(
        login=login,
        name=fields.pop("name", login.replace("-", " ").title()),
        password=None,
        roles=[roles[role]],
        **fields,
    )


def make_guard(site: Site | None = None, *, group: SiteGroup | None = None, **fields: Any) -> Person:
    """A guard (``jobs.perform``) based at ``site``, and assigned to ``group`` when given,
    so they may work at every site of it."""
    guard = make_person("guard", home_site_id=site.pk if site is not None else None, **fields)
    if group is not None:
        SiteAssignment.objects.create(person=guard, site_group=group)
    return guard


def make_team(*members: Person, code: str | None = None) -> Team:
    """An active team of ``members`` (the first one leads)."""
    code = code or f"T-{_suffix()}"
    team = Team.objects.create(code=code, name=f"Team {code}")
    for index, person in enumerate(members):
        TeamMembership.objects.create(team=team, person=person, is_lead=index == 0)
    return team


def schedule_fields(**fields: Any) -> dict[str, Any]:
    """Valid ``create_schedule`` fields for a task (override any): hourly at a new site, for
    a guard based there, valid from the start of the current hour."""
    fields.setdefault("kind", Kind.TASK)
    if fields["kind"] != Kind.EXTERNAL_TOUR:
        if "site" not in fields:
            fields["site"] = make_site()
    fields.setdefault("name", f"Schedule {_suffix()}")
    fields.setdefault("cron", "" if fields.get("is_dynamic") else "0 * * * *")
    fields.setdefault("valid_from", hour_floor())
    if "assignee_person" not in fields and "assignee_team" not in fields:
        site = fields.get("site")
        fields["assignee_person"] = make_guard(site if isinstance(site, Site) else None, group=fields.get("site_group"))
    return fields


def make_schedule(*, actor: Any = None, stops: Any = None, **fields: Any) -> Schedule:
    """A schedule created through ``services.create_schedule`` (so its jobs are planned)."""
    from apps.scheduling import services

    return services.create_schedule(actor, stops=stops, **schedule_fields(**fields))


def make_tour(stops: int = 3, *, actor: Any = None, **fields: Any) -> Schedule:
    """An internal tour of ``stops`` new checkpoints of its site, with a CHECKLIST checklist."""
    fields.setdefault("kind", Kind.INTERNAL_TOUR)
    if "site" not in fields:
        fields["site"] = make_site()
    if "checklist" not in fields:
        fields["checklist"] = make_checklist()
    fields.setdefault("duration_minutes", 10)
    fields.setdefault("grace_minutes", 5)
    site = fields["site"]
    stop_specs = [{"checkpoint": make_checkpoint(site, f"CP{n}-{_suffix()}")} for n in range(1, stops + 1)]
    return make_schedule(actor=actor, stops=stop_specs, **fields)


def make_job(**fields: Any) -> Job:
    """A job row written directly (no schedule unless given): by default an ad-hoc task at
    a new site, planned an hour ago, 30 minutes long with 15 of grace, ASSIGNED."""
    if "site" not in fields:
        fields["site"] = make_site()
    fields.setdefault("kind", Job.Kind.TASK)
    fields.setdefault("origin", Job.Origin.AD_HOC if fields.get("schedule") is None else Job.Origin.SCHEDULED)
    fields.setdefault("title", f"Job {_suffix()}")
    plan_at = fields.setdefault("plan_at", timezone.now() - timedelta(hours=1))
    fields.setdefault("duration_minutes", 30)
    fields.setdefault("expires_at", plan_at + timedelta(minutes=fields["duration_minutes"] + 15))
    fields.setdefault("status", Job.Status.ASSIGNED)
    return Job.objects.create(**fields)


# --- tenant isolation ---------------------------------------------------------------------


@isolation_factory(Schedule)
def make_isolation_schedule(tenant: Tenant) -> Schedule:
    return make_schedule(name="Isolation schedule")


@isolation_factory(ScheduleStop)
def make_isolation_stop(tenant: Tenant) -> ScheduleStop:
    tour = make_tour(stops=1, name="Isolation tour")
    return ScheduleStop.objects.get(schedule=tour)


@isolation_factory(Job)
def make_isolation_job(tenant: Tenant) -> Job:
    from apps.scheduling import services

    site = make_site()
    return services.create_adhoc_job(
        None,
        site=site,
        title="Isolation job",
        plan_at=timezone.now() + timedelta(hours=1),
        assignee_person=make_guard(site),
    )


@isolation_factory(Reminder)
def make_isolation_reminder(tenant: Tenant) -> Reminder:
    job = make_job(kind=Job.Kind.PPM, plan_at=timezone.now() + timedelta(days=1))
    return Reminder.objects.create(job=job, offset_minutes=60, remind_at=job.plan_at - timedelta(minutes=60))


@isolation_graphql_args("schedule")
def schedule_args(obj: Schedule) -> dict[str, Any]:
    return {"id": str(obj.pk)}


@isolation_graphql_args("job")
def job_args(obj: Job) -> dict[str, Any]:
    return {"id": str(obj.pk)}
