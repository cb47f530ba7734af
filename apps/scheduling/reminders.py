"""PPM reminders: sent once each, at their time, to the assignee and the notify list.

The generation run creates one ``Reminder`` per (job, offset) at ``plan_at - offset``
(one already due when the job is planned is recorded SKIPPED, "planned too late"). This
run, every minute, sends those whose time has come: the ``job.reminder`` e-mail to the
job's assignee (the person, or the members of the team) and the schedule's
``notify_person_ids``; then SENT with ``sent_at`` and the number of people it was
addressed to. A job that is no longer ASSIGNED (started, done, closed) is not reminded
of: SKIPPED, saying why. Never early: only rows with ``remind_at <= now`` are taken.

Each reminder is locked with ``SKIP LOCKED`` and re-checked under the lock, so two runs
at the same moment send it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from django.db import transaction
from django.utils import timezone

from apps.core import tenancy
from apps.core.tenant_runner import TaskRun, for_each_tenant
from apps.notifications.services import notify
from apps.people.models import Person, TeamMembership
from apps.tenants.models import Tenant

from .models import Job, Reminder

log = structlog.get_logger(__name__)

EVENT = "job.reminder"
#: Reminders handled per tenant and run; the rest wait for the next run.
BATCH_SIZE = 500


def send_due_reminders(now: datetime | None = None) -> TaskRun:
    """Send the due reminders of every active tenant (the ``scheduling.send_reminders``
    task): per tenant, reminders ``sent`` and ``skipped``. One tenant failing is logged and
    reported, and the others go on. Each reminder commits alone, so its e-mail leaves
    at once and a later failure does not undo it."""
    now = now or timezone.now()

    def tenant_reminders(_tenant: Tenant) -> dict[str, int]:
        sent, skipped = send_tenant_reminders(now)
        return {"sent": sent, "skipped": skipped}

    return for_each_tenant("scheduling.send_reminders", tenant_reminders, atomic=False)


def send_tenant_reminders(now: datetime | None = None, limit: int = BATCH_SIZE) -> tuple[int, int]:
    """Send the due reminders of the tenant in context; returns (sent, skipped)."""
    now = now or timezone.now()
    due = list(
        Reminder.objects.filter(status=Reminder.Status.PENDING, remind_at__lte=now)
        .order_by("remind_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = skipped = 0
    for pk in due:
        with transaction.atomic(using=tenancy.db_alias()):
            reminder = (
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("job", "job__site", "job__asset", "job__schedule")
                .filter(pk=pk, status=Reminder.Status.PENDING, remind_at__lte=now)
                .first()
            )
            if reminder is None:
                continue  # another run holds it or has done it
            if _send(reminder, now):
                sent += 1
            else:
                skipped += 1
    return sent, skipped


def _recipients(job: Job) -> tuple[list[int], list[int], int]:
    """(people, teams, how many distinct people of the tenant that makes)."""
    people = {job.assignee_person_id} if job.assignee_person_id is not None else set()
    if job.schedule is not None:
        people.update(job.schedule.notify_person_ids or ())
    teams = [job.assignee_team_id] if job.assignee_team_id is not None else []
    everyone = set(people)
    if teams:
        everyone.update(
            TeamMembership.objects.filter(team_id__in=teams, team__is_active=True).values_list("person_id", flat=True)
        )
    count = Person.objects.filter(pk__in=everyone).count() if everyone else 0
    return sorted(people), teams, count


def _skip(reminder: Reminder, why: str) -> bool:
    reminder.status = Reminder.Status.SKIPPED
    reminder.error = why[:200]
    reminder.save(update_fields=["status", "error", "modified_at", "modified_by"])
    return False


def _send(reminder: Reminder, now: datetime) -> bool:
    """Send one locked reminder; True if sent, False if skipped."""
    job = reminder.job
    if job.status != Job.Status.ASSIGNED or job.started_at is not None:
        return _skip(reminder, f"Not sent: the job is {job.get_status_display().lower()}.")
    people, teams, count = _recipients(job)
    if count == 0:
        return _skip(reminder, "Not sent: the job has no assignee and no one to notify.")
    notify(EVENT, people=people, teams=teams, context=reminder_context(reminder), site_id=job.site_id)
    reminder.status = Reminder.Status.SENT
    reminder.sent_at = now
    reminder.recipients = count
    reminder.error = ""
    reminder.save(update_fields=["status", "sent_at", "recipients", "error", "modified_at", "modified_by"])
    return True


def _iso(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def _local(value: datetime, tz: str) -> str:
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def reminder_context(reminder: Reminder) -> dict[str, Any]:
    """The ``job.reminder`` e-mail context, plain JSON values: ``job`` (title, kind,
    priority, plan and expiry times in UTC and in the site's zone, site, asset, console
    ``url``) and ``reminder`` (offset in minutes and hours, time)."""
    job, site, asset = reminder.job, reminder.job.site, reminder.job.asset
    return {
        "job": {
            "id": job.pk,
            "uuid": str(job.uuid),
            "title": job.title,
            "kind": job.kind,
            "priority": job.priority,
            "plan_at": _iso(job.plan_at),
            "plan_at_local": _local(job.plan_at, site.timezone),
            "expires_at": _iso(job.expires_at),
            "expires_at_local": _local(job.expires_at, site.timezone),
            "duration_minutes": job.duration_minutes,
            "site": {"id": site.pk, "code": site.code, "name": site.name},
            "asset": None if asset is None else {"id": asset.pk, "code": asset.code, "name": asset.name},
            "schedule_id": job.schedule_id,
            "url": f"/jobs/{job.pk}/",
        },
        "reminder": {
            "id": reminder.pk,
            "offset_minutes": reminder.offset_minutes,
            "remind_at": _iso(reminder.remind_at),
            "lead": _lead(reminder.offset_minutes),
        },
    }


def _lead(minutes: int) -> str:
    """ "2 days", "3 hours", "90 minutes": how long before the job the reminder goes."""
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
