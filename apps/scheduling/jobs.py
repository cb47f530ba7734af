"""Writes of jobs: ad-hoc jobs, and a job's way from ASSIGNED to COMPLETED.

- an ad-hoc job is a TASK a planner (``schedules.manage``) creates at a site they may see,
  planned from a day ago to a year ahead, for one assignee who may work there;
- a job moves ASSIGNED -> INPROGRESS -> COMPLETED, by its assignee (the person, or a
  member of the team) or a planner of its site; starting a stop starts its tour;
  completing a tour's last open stop completes the tour (PARTIALLY_COMPLETED, and
  reported as a miss, when an earlier stop was auto-closed), and completing a dynamic
  tour plans its next instance, in the same transaction.

``actor`` is the person acting; None is the system, which passes every check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.core.errors import NotFound
from apps.people.models import TeamMembership
from apps.sites.selectors import sees_all_sites, sites_for

from . import checks, generation
from .errors import ScheduleError, fail
from .models import TOUR_KINDS, Job, Kind, Schedule

#: How far an ad-hoc job may be planned from now: a day back (written up late), a year ahead.
ADHOC_PAST = timedelta(days=1)
ADHOC_FUTURE = timedelta(days=366)


def create_adhoc_job(
    actor: Any,
    *,
    site: Any,
    title: Any,
    plan_at: Any,
    duration_minutes: Any = 30,
    grace_minutes: Any = 15,
    assignee_person: Any = None,
    assignee_team: Any = None,
    checklist: Any = None,
    asset: Any = None,
    priority: Any = "MEDIUM",
    scan_type: Any = "SKIP",
    remarks: Any = "",
) -> Job:
    """A one-off task (origin AD_HOC) at one of the actor's sites, checked like a task schedule:
    an assignee who may work at the site, a CHECKLIST or ASSET_AUDIT checklist (its current
    version is kept), an asset of the site; planned from a day ago to a year ahead."""
    checks.require_manage(actor)
    now = timezone.now()
    found_site = checks.clean_site(actor, site)
    clean_title = checks.clean_text(title, "title", checks.MAX_NAME_LENGTH, required=True)
    when = checks.clean_datetime(plan_at, "plan_at", required=True)
    assert when is not None
    if not now - ADHOC_PAST <= when <= now + ADHOC_FUTURE:
        raise fail("value_out_of_range", "plan_at must be between a day ago and a year from now.", "plan_at")
    duration = checks.whole_number(duration_minutes, "duration_minutes", checks.DURATION)
    grace = checks.whole_number(grace_minutes, "grace_minutes", checks.GRACE)
    found_checklist = checks.clean_checklist(checklist, Kind.TASK)
    found_asset = checks.clean_asset(asset, found_site) if asset is not None else None
    person, team = checks.clean_assignee(assignee_person, assignee_team, [found_site.pk])
    with checks.atomic():
        job = Job(
            kind=Job.Kind.TASK,
            origin=Job.Origin.AD_HOC,
            title=clean_title,
            site=found_site,
            asset=found_asset,
            checklist_version_id=found_checklist.current_version_id if found_checklist is not None else None,
            assignee_person=person,
            assignee_team=team,
            priority=checks.clean_priority(priority),
            scan_type=checks.clean_scan_type(scan_type),
            plan_at=when.astimezone(UTC),
            duration_minutes=duration,
            expires_at=(when + timedelta(minutes=duration + grace)).astimezone(UTC),
            remarks=checks.clean_text(remarks, "remarks", checks.MAX_REMARKS_LENGTH, required=False),
        )
        job.save()
    return job


def _is_assignee(actor: Any, job: Job) -> bool:
    if job.assignee_person_id == actor.pk:
        return True
    return (
        job.assignee_team_id is not None
        and TeamMembership.objects.filter(
            team_id=job.assignee_team_id, person_id=actor.pk, team__is_active=True
        ).exists()
    )


def may_perform(actor: Any, job: Job, parent: Job | None = None) -> bool:
    """The assignee of the job (or of its tour), or a planner who may see its site."""
    if actor is None:
        return True
    if actor.has_capability(checks.MANAGE) and (
        sees_all_sites(actor) or sites_for(actor).filter(pk=job.site_id).exists()
    ):
        return True
    if not actor.has_capability("jobs.perform"):
        return False
    owner = job if (job.assignee_person_id or job.assignee_team_id or parent is None) else parent
    return _is_assignee(actor, owner)


def _lock(job: Job) -> tuple[Job, Job | None]:
    """The job and its tour (when a stop), locked tour first so concurrent stops of one tour
    queue behind each other instead of deadlocking."""
    found = Job.objects.filter(pk=job.pk).values_list("pk", "parent_id").first()
    parent = Job.objects.select_for_update().filter(pk=found[1]).first() if found and found[1] else None
    locked = Job.objects.select_for_update().filter(pk=job.pk).first()
    if locked is None:  # removed meanwhile (its schedule was edited or disabled)
        raise NotFound()
    return locked, parent


def _check_may_perform(actor: Any, job: Job, parent: Job | None) -> None:
    if not may_perform(actor, job, parent):
        raise ScheduleError(
            "Only the job's assignee or a planner of its site may do this.",
            code="job_not_assignee",
            status=403,
            details={"field": "job"},
        )


def _transition_error(job: Job, action: str, why: str = "") -> ScheduleError:
    return ScheduleError(
        why or f"A job that is {job.status} cannot be {action}.",
        code="invalid_transition",
        status=409,
        details={"field": "status", "status": job.status, "action": action},
    )


def _start(job: Job, actor: Any, now: datetime) -> None:
    job.status = Job.Status.INPROGRESS
    job.started_at = job.started_at or now
    if actor is not None:
        job.performed_by = actor
    job.save(update_fields=["status", "started_at", "performed_by", "modified_at", "modified_by"])


def start_job(actor: Any, job: Job) -> Job:
    """ASSIGNED -> INPROGRESS (``started_at``, ``performed_by``); starting a stop starts its tour."""
    now = timezone.now()
    with checks.atomic():
        locked, parent = _lock(job)
        _check_may_perform(actor, locked, parent)
        if locked.status != Job.Status.ASSIGNED:
            raise _transition_error(locked, "started")
        if parent is not None and parent.status not in Job.OPEN_STATUSES:
            raise _transition_error(locked, "started", f"The tour is {parent.status}; its stops no longer start.")
        _start(locked, actor, now)
        if parent is not None and parent.status == Job.Status.ASSIGNED:
            _start(parent, actor, now)
    return locked


def _finish_tour(tour: Job, actor: Any, now: datetime) -> None:
    """Close a tour none of whose stops is open: COMPLETED when all were done, otherwise
    PARTIALLY_COMPLETED (its missed stops are reported like an auto-closed tour's)."""
    statuses = set(Job.objects.filter(parent=tour).values_list("status", flat=True))
    complete = statuses <= {Job.Status.COMPLETED}
    tour.status = Job.Status.COMPLETED if complete else Job.Status.PARTIALLY_COMPLETED
    tour.miss_pending = not complete
    tour.started_at = tour.started_at or now
    tour.ended_at = now
    if actor is not None:
        tour.performed_by = actor
    tour.save(
        update_fields=["status", "miss_pending", "started_at", "ended_at", "performed_by", "modified_at", "modified_by"]
    )


def complete_job(actor: Any, job: Job, *, remarks: Any = "") -> Job:
    """ASSIGNED or INPROGRESS -> COMPLETED (``ended_at``). Completing a tour's last open stop
    completes the tour; a tour with open stops does not complete by itself. Completing a
    dynamic tour plans its next instance (same transaction)."""
    now = timezone.now()
    note = checks.clean_text(remarks, "remarks", checks.MAX_REMARKS_LENGTH, required=False)
    with checks.atomic():
        locked, parent = _lock(job)
        _check_may_perform(actor, locked, parent)
        if locked.status not in Job.OPEN_STATUSES:
            raise _transition_error(locked, "completed")
        if parent is not None and parent.status not in Job.OPEN_STATUSES:
            raise _transition_error(locked, "completed", f"The tour is {parent.status}; its stops no longer change.")
        is_tour = locked.parent_id is None and locked.kind in TOUR_KINDS
        finished: Job | None = None
        if is_tour:
            open_stops = Job.objects.filter(parent=locked, status__in=Job.OPEN_STATUSES).count()
            if open_stops:
                raise _transition_error(
                    locked, "completed", f"The tour has {open_stops} open stop(s); it completes with its last stop."
                )
            _finish_tour(locked, actor, now)
            finished = locked
        else:
            locked.status = Job.Status.COMPLETED
            locked.started_at = locked.started_at or now
            locked.ended_at = now
            if actor is not None:
                locked.performed_by = actor
            fields = ["status", "started_at", "ended_at", "performed_by", "modified_at", "modified_by"]
            if note:
                locked.remarks = note
                fields.append("remarks")
            locked.save(update_fields=fields)
            if parent is not None:
                if parent.status == Job.Status.ASSIGNED:
                    _start(parent, actor, now)
                if not Job.objects.filter(parent=parent, status__in=Job.OPEN_STATUSES).exists():
                    _finish_tour(parent, actor, now)
                    finished = parent
        if is_tour and note:
            locked.remarks = note
            locked.save(update_fields=["remarks", "modified_at", "modified_by"])
        if finished is not None and finished.origin == Job.Origin.DYNAMIC and finished.schedule_id is not None:
            schedule = Schedule.objects.select_for_update().get(pk=finished.schedule_id)
            if schedule.is_active and schedule.is_dynamic:
                generation.plan_next_instance(schedule, now)
    return locked
