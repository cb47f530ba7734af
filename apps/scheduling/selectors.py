"""Who sees which schedules and jobs, and the reads every door shares.

Scope, decided here only (the tenant comes from the managers):

- schedules are read with ``sites.view`` or ``schedules.manage``: those of the sites the
  person may see (``apps.sites.selectors``), an external tour through its site group;
- jobs are read with ``sites.view`` or ``schedules.manage`` (the jobs of their sites) or
  ``jobs.perform`` (the jobs assigned to them or to an active team they belong to; the
  stops of a tour carry the tour's assignee);
- anything outside that scope is ``NotFound``, exactly like another tenant's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.errors import NotFound
from apps.people.models import TeamMembership
from apps.sites.models import Site
from apps.sites.selectors import get_site_for, sees_all_sites, site_groups_for, sites_for

from .models import Job, Schedule

SCHEDULE_READERS = ("sites.view", "schedules.manage")
SITE_JOB_READERS = ("sites.view", "schedules.manage")
JOB_PERFORMERS = ("jobs.perform",)


def _pk(value: Any) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() else None


def schedules_for(person: Any) -> QuerySet[Schedule]:
    """The schedules ``person`` may see, with what a list shows joined."""
    queryset = Schedule.objects.select_related(
        "site", "site_group", "assignee_person", "assignee_team", "checklist", "asset", "ticket_category"
    )
    if not person.has_any_capability(SCHEDULE_READERS):
        return queryset.none()
    if sees_all_sites(person):
        return queryset
    return queryset.filter(
        Q(site__in=sites_for(person).values("pk"))
        | Q(site__isnull=True, site_group__in=site_groups_for(person).values("pk"))
    )


def get_schedule_for(person: Any, schedule_id: Any) -> Schedule:
    """One schedule by id, if ``person`` may see it; otherwise ``NotFound``."""
    pk = _pk(schedule_id)
    schedule = schedules_for(person).filter(pk=pk).first() if pk is not None else None
    if schedule is None:
        raise NotFound()
    return schedule


def _team_ids(person: Any) -> QuerySet[TeamMembership, Any]:
    return TeamMembership.objects.filter(person_id=person.pk, team__is_active=True).values("team_id")


def _own_jobs(person: Any) -> Q:
    """Jobs assigned to ``person`` or to their teams (a tour's stops carry its assignee)."""
    return Q(assignee_person_id=person.pk) | Q(assignee_team__in=_team_ids(person))


def jobs_for(person: Any) -> QuerySet[Job]:
    """The jobs ``person`` may see (unordered beyond the model's plan-time order)."""
    queryset = Job.objects.all()
    reads_sites = person.has_any_capability(SITE_JOB_READERS)
    performs = person.has_any_capability(JOB_PERFORMERS)
    if reads_sites and sees_all_sites(person):
        return queryset
    scope = Q(pk__in=[])
    if reads_sites:
        scope |= Q(site__in=sites_for(person).values("pk"))
    if performs:
        scope |= _own_jobs(person)
    if not (reads_sites or performs):
        return queryset.none()
    return queryset.filter(scope)


def get_job_for(person: Any, job_id: Any) -> Job:
    """One job by id, if ``person`` may see it; otherwise ``NotFound``."""
    pk = _pk(job_id)
    job = jobs_for(person).filter(pk=pk).first() if pk is not None else None
    if job is None:
        raise NotFound()
    return job


def local_day(site: Site, day: date) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` at ``site`` in UTC (23 or 25 hours apart on DST days)."""
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    # In UTC: arithmetic between datetimes of one ZoneInfo is wall-clock arithmetic.
    return start.astimezone(UTC), end.astimezone(UTC)


def board(person: Any, site: Any, day: date | None = None) -> dict[str, Any]:
    """A site's day (``day`` in the site's time zone, default today there): the top-level jobs
    ``person`` may see planned that day, by where they stand.

    ``planned``: ASSIGNED and not expired; ``in_progress``: INPROGRESS; ``done``: COMPLETED;
    ``missed``: AUTOCLOSED, PARTIALLY_COMPLETED, or ASSIGNED past its expiry (the auto-close
    run has not come by yet). ``site`` is a site or its id (``NotFound`` unless visible).
    """
    found = get_site_for(person, site.pk if isinstance(site, Site) else site)
    now = timezone.now()
    if day is None:
        day = now.astimezone(ZoneInfo(found.timezone)).date()
    start, end = local_day(found, day)
    jobs = list(
        jobs_for(person)
        .filter(site=found, parent__isnull=True, plan_at__gte=start, plan_at__lt=end)
        .select_related("assignee_person", "assignee_team")
        .order_by("plan_at", "pk")
    )
    groups: dict[str, list[Job]] = {"planned": [], "in_progress": [], "done": [], "missed": []}
    for job in jobs:
        if job.status == Job.Status.INPROGRESS:
            groups["in_progress"].append(job)
        elif job.status == Job.Status.COMPLETED:
            groups["done"].append(job)
        elif job.status in Job.MISSED_STATUSES or job.expires_at <= now:
            groups["missed"].append(job)
        else:
            groups["planned"].append(job)
    return {
        "site": found,
        "date": day,
        "counts": {name: len(rows) for name, rows in groups.items()},
        **groups,
    }
