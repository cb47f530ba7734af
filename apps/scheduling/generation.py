"""Job generation: every active schedule becomes jobs for a rolling window, at bulk speed.

The window of a tenant is now .. now + ``horizon_hours`` (``Tenant.settings["scheduling"]
["horizon_hours"]``, 1..744, default 48); a PPM schedule looks further ahead by its
largest reminder offset so its reminders can go out on time. A schedule resumes at
max(``generated_until``, ``valid_from``, now) and ends at the window end (or its
``valid_until``); ``generated_until`` then records the window end, so a re-run finds
almost nothing to do and creates nothing.

How it is fast: the schedules of a tenant are taken in chunks (``CHUNK_SIZE`` per
transaction, row-locked with ``SKIP LOCKED`` so two workers share the work instead of
doing it twice). Per chunk, Python computes the cron occurrences (memoised: schedules
share crons and the window) and a per-schedule ``planning.Plan`` whose times are offsets
from the occurrence; both are sent with COPY into temporary tables (they have no row-level
security, so COPY is allowed). One statement then inserts the parent jobs with
``ON CONFLICT DO NOTHING`` on the occurrence key and, from the rows that insert returned,
the stops (occurrence + offset) and the PPM reminders; another moves ``generated_until``.
A job that already exists (a re-run, a concurrent worker) is skipped with its stops and
reminders, so each is created once. No model instance is built for a generated job, and
the change log gets one summary per chunk (``record_bulk``), never one entry per job.
The rows take their sync versions from the tenant's sequence in the statement itself, so
the per-row version trigger stands aside (``apps.core.rls``).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import structlog
from cronsim import CronSimError
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from apps.assets.models import Asset
from apps.audit.models import BULK_IDS
from apps.audit.services import Action, record_bulk
from apps.core import tenancy
from apps.core.rls import version_sequence
from apps.core.tenant_runner import TaskRun, for_each_tenant
from apps.sites.models import SiteGroupMember
from apps.tenants.models import Tenant

from . import cron, planning
from .errors import ScheduleError
from .models import Job, Kind, Schedule, ScheduleStop

log = structlog.get_logger(__name__)

DEFAULT_HORIZON_HOURS = 48
MAX_HORIZON_HOURS = 744
#: Schedules per transaction: bounds memory and how long their rows stay locked.
CHUNK_SIZE = 500
#: The largest reminder offset a schedule may have (30 days), in minutes.
MAX_REMINDER_OFFSET = 43200
#: Kinds whose schedule stops when its asset is scrapped or inactive.
ASSET_KINDS = (Kind.PPM, Kind.TASK)


def horizon_hours(tenant_settings: dict[str, Any] | None = None) -> int:
    """The tenant's generation horizon in hours (the tenant in context unless
    ``tenant_settings``, a ``Tenant.settings``, is given). An invalid value is logged and
    the default used."""
    if tenant_settings is None:
        tenant_id = tenancy.current_tenant().id
        tenant_settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    section = tenant_settings.get("scheduling") if isinstance(tenant_settings, dict) else None
    value = section.get("horizon_hours") if isinstance(section, dict) else None
    if value is None:
        return DEFAULT_HORIZON_HOURS
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_HORIZON_HOURS:
        return value
    log.warning("scheduling.horizon_setting_ignored", value=str(value)[:32])
    return DEFAULT_HORIZON_HOURS


# --- Runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    tenant_id: int
    tenant_tz: str
    now: datetime
    end: datetime


def _window(tenant: Tenant, now: datetime) -> _Window:
    return _Window(tenant.pk, tenant.timezone, now, now + timedelta(hours=horizon_hours(tenant.settings)))


def _tenant_in_context() -> Tenant:
    return Tenant.objects.get(pk=tenancy.current_tenant().id)


def generate_all(now: datetime | None = None) -> TaskRun:
    """Generate the jobs of every active tenant (the ``scheduling.generate_jobs`` task):
    per tenant, jobs ``created`` and ``schedules`` expanded. One tenant failing is logged
    and reported, and the others go on. Each chunk commits alone (``atomic=False``), so
    a long run never holds the row locks of every schedule at once."""
    now = now or timezone.now()

    def tenant_jobs(tenant: Tenant) -> dict[str, int]:
        created, schedules = _generate(_window(tenant, now))
        return {"created": created, "schedules": schedules}

    return for_each_tenant("scheduling.generate_jobs", tenant_jobs, atomic=False)


def generate_tenant(now: datetime | None = None) -> int:
    """Generate the jobs of the tenant in context; returns how many jobs were created."""
    return _generate(_window(_tenant_in_context(), now or timezone.now()))[0]


def _due(window: _Window) -> Any:
    """Schedules that may need jobs: active, cron-driven, valid in the window, and not yet
    generated to its end (a PPM schedule: to its end plus its offsets, checked later)."""
    behind = (
        Q(generated_until__isnull=True)
        | Q(generated_until__lt=window.end)
        | Q(kind=Kind.PPM, generated_until__lt=window.end + timedelta(minutes=MAX_REMINDER_OFFSET))
    )
    return (
        Schedule.objects.filter(behind, is_active=True, is_dynamic=False)
        .exclude(cron="")
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=window.now))
        .filter(valid_from__lt=window.end + timedelta(minutes=MAX_REMINDER_OFFSET))
    )


def _generate(window: _Window) -> tuple[int, int]:
    """Chunk by chunk, each in its own transaction; returns (jobs created, schedules done)."""
    alias = tenancy.db_alias()
    created = schedules = 0
    last_pk = 0
    while True:
        with transaction.atomic(using=alias):
            chunk = list(
                _due(window)
                .filter(pk__gt=last_pk)
                .select_related("site", "checklist", "asset")
                .select_for_update(skip_locked=True, no_key=True, of=("self",))
                .order_by("pk")[:CHUNK_SIZE]
            )
            if not chunk:
                break
            last_pk = chunk[-1].pk
            made, done, ids, planned = _expand(chunk, window)
            record_bulk(
                Job,
                Action.BULK_CREATE,
                count=made,
                ids=ids,
                related=planned[0] if len(planned) == 1 else None,
                summary=f"{made} jobs planned for the next hours ({len(planned)} schedules)",
            )
        created += made
        schedules += done
        if len(chunk) < CHUNK_SIZE:
            break
    revived = _revive_dynamic(window.now)
    return created + revived, schedules


def generate_schedule(schedule: Schedule, now: datetime | None = None) -> int:
    """Generate the jobs of one schedule now (after an edit); returns how many were created.

    Waits for the schedule's row lock (the editing transaction usually holds it already).
    Inactive and dynamic schedules get nothing. The caller records the change log entry.
    """
    return _generate_schedule(schedule, now).created


def _generate_schedule(schedule: Schedule, now: datetime | None = None) -> Expanded:
    window = _window(_tenant_in_context(), now or timezone.now())
    with transaction.atomic(using=tenancy.db_alias()):
        locked = list(
            Schedule.objects.filter(pk=schedule.pk, is_active=True, is_dynamic=False)
            .exclude(cron="")
            .select_related("site", "checklist", "asset")
            .select_for_update(no_key=True, of=("self",))
        )
        if not locked:
            return Expanded(0, 0, [], [])
        return _expand(locked, window)


# --- One chunk ----------------------------------------------------------------------------


def _target_end(schedule: Schedule, window: _Window) -> datetime:
    if schedule.kind == Kind.PPM and schedule.reminder_offsets:
        return window.end + timedelta(minutes=min(max(schedule.reminder_offsets), MAX_REMINDER_OFFSET))
    return window.end


def _asset_dead(schedule: Schedule) -> bool:
    asset = schedule.asset if schedule.asset_id is not None else None
    return (
        schedule.kind in ASSET_KINDS
        and asset is not None
        and (asset.status == Asset.Status.SCRAPPED or not asset.is_active)
    )


class Expanded(NamedTuple):
    """What ``_expand`` did: jobs created (stops included), schedules brought up to the
    window, the first ids created, and the schedules that got jobs."""

    created: int
    done: int
    ids: list[int]
    planned: list[Schedule]


def _expand(chunk: Sequence[Schedule], window: _Window) -> Expanded:
    """Create the jobs of the locked ``chunk``."""
    stopped = {s.pk for s in chunk if _asset_dead(s)}
    timed: list[tuple[Schedule, datetime, list[datetime]]] = []
    for schedule in chunk:
        if schedule.pk in stopped:
            continue
        target = _target_end(schedule, window)
        if schedule.generated_until is not None and schedule.generated_until >= target:
            continue
        start = max(t for t in (schedule.generated_until, schedule.valid_from, window.now) if t is not None)
        end = min(target, schedule.valid_until) if schedule.valid_until is not None else target
        site = schedule.site if schedule.site_id is not None else None
        tz = site.timezone if site is not None else window.tenant_tz
        try:
            found = cron.occurrences(schedule.cron, tz, start, end) if start < end else []
        except (ScheduleError, CronSimError, ValueError) as exc:
            log.warning("scheduling.schedule_skipped", schedule_id=schedule.pk, reason=str(exc)[:200])
            continue
        timed.append((schedule, target, found))

    plans = _plans([s for s, _, found in timed if found])
    batch = _Batch(window.tenant_id, window.now)
    done: list[tuple[int, datetime]] = []
    planned: list[Schedule] = []
    for schedule, target, found in timed:
        if found:
            plan = plans.get(schedule.pk)
            if plan is None:
                continue  # not plannable now (logged); retried on the next run
            batch.add(plan, found)
            planned.append(schedule)
        done.append((schedule.pk, target))
    created, ids = batch.insert(connections[tenancy.db_alias()]) if batch else (0, [])
    _mark_generated(done)
    if stopped:
        removed, removed_ids = _remove_future(sorted(stopped), window.now)
        dead = [s for s in chunk if s.pk in stopped]
        record_bulk(
            Job,
            Action.BULK_DELETE,
            count=removed,
            ids=removed_ids,
            related=dead[0] if len(dead) == 1 else None,
            summary=f"{removed} future jobs removed: their asset is scrapped or inactive",
        )
        # generated_until is bookkeeping (not in the change log): resumes when the asset returns.
        Schedule.objects.filter(pk__in=stopped, generated_until__isnull=False).update(generated_until=None)
    return Expanded(created, len(done), ids, planned)


def _plans(schedules: Sequence[Schedule]) -> dict[int, planning.Plan]:
    """The plan of each schedule (three queries for the whole chunk); a schedule that
    cannot be planned (e.g. its group has no active site) is logged and left out."""
    internal = [s.pk for s in schedules if s.kind == Kind.INTERNAL_TOUR]
    groups = {s.site_group_id for s in schedules if s.kind == Kind.EXTERNAL_TOUR and s.site_group_id is not None}
    stops: dict[int, list[planning.StopSpec]] = defaultdict(list)
    if internal:
        for row in (
            # A checkpoint taken out of service is not visited: its tag can no longer be scanned.
            ScheduleStop.objects.filter(schedule_id__in=internal, checkpoint__is_active=True)
            .exclude(checkpoint__status=Asset.Status.SCRAPPED)
            .order_by("schedule_id", "position", "pk")
            .values_list(
                "schedule_id",
                "checkpoint_id",
                "checkpoint__name",
                "checklist_id",
                "checklist__current_version_id",
                "offset_minutes",
                "duration_minutes",
                "grace_minutes",
            )
        ):
            stops[row[0]].append(planning.StopSpec(*row[1:]))
    members = _members(groups)
    plans: dict[int, planning.Plan] = {}
    for schedule in schedules:
        checklist = schedule.checklist if schedule.checklist_id is not None else None
        version = checklist.current_version_id if checklist is not None else None
        try:
            plans[schedule.pk] = planning.plan_schedule(
                schedule,
                checklist_version_id=version,
                stops=stops.get(schedule.pk, ()),
                members=members.get(schedule.site_group_id, ()) if schedule.site_group_id is not None else (),
            )
        except ScheduleError as exc:
            log.warning("scheduling.schedule_skipped", schedule_id=schedule.pk, reason=exc.code)
    return plans


def _members(groups: Iterable[int]) -> dict[int, list[planning.Member]]:
    found: dict[int, list[planning.Member]] = defaultdict(list)
    groups = list(groups)
    if groups:
        for group_id, site_id, name in (
            SiteGroupMember.objects.filter(group_id__in=groups, site__is_active=True)
            .order_by("group_id", "position", "pk")
            .values_list("group_id", "site_id", "site__name")
        ):
            found[group_id].append(planning.Member(site_id, name))
    return found


def _mark_generated(done: Sequence[tuple[int, datetime]]) -> None:
    if not done:
        return
    with connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_schedule AS s SET generated_until = GREATEST(s.generated_until, u.until) "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS u(id, until) "
            "WHERE s.tenant_id = %s AND s.id = u.id",
            [[pk for pk, _ in done], [until for _, until in done], tenancy.current_tenant().id],
        )


# --- Bulk insert --------------------------------------------------------------------------

_TEMP_TABLES = {
    "yt_gen_schedule": (
        "schedule_id bigint, kind text, title text, site_id bigint, asset_id bigint, checklist_version_id bigint, "
        "assignee_person_id bigint, assignee_team_id bigint, priority text, scan_type text, "
        "duration_minutes integer, expires interval"
    ),
    "yt_gen_occurrence": "schedule_id bigint, occurrence_at timestamptz, site_id bigint",
    "yt_gen_stop": (
        "schedule_id bigint, seq integer, title text, site_id bigint, asset_id bigint, checklist_version_id bigint, "
        "start interval, duration_minutes integer, expires interval"
    ),
    "yt_gen_shuffled_stop": (
        "schedule_id bigint, occurrence_at timestamptz, seq integer, title text, site_id bigint, asset_id bigint, "
        "checklist_version_id bigint, start interval, duration_minutes integer, expires interval"
    ),
    "yt_gen_reminder": "schedule_id bigint, offset_minutes integer",
}

_JOB_COLUMNS = (
    "tenant_id, uuid, created_at, modified_at, version, schedule_id, occurrence_at, seq, parent_id, kind, origin, "
    "title, site_id, asset_id, checklist_version_id, assignee_person_id, assignee_team_id, priority, scan_type, "
    "plan_at, duration_minutes, expires_at, status, alert, deviation, remarks, miss_pending"
)

_STOP_SELECT = (
    "SELECT %(tenant)s, gen_random_uuid(), now(), now(), nextval(%(version_sequence)s::regclass), p.schedule_id, "
    "p.occurrence_at, t.seq, p.id, 'STOP', "
    "'SCHEDULED', t.title, t.site_id, t.asset_id, t.checklist_version_id, p.assignee_person_id, "
    "p.assignee_team_id, p.priority, p.scan_type, p.occurrence_at + t.start, t.duration_minutes, "
    "p.occurrence_at + t.expires, 'ASSIGNED', false, false, '', false FROM parents AS p "
)

# Parents in key order (so concurrent inserts of the same keys cannot deadlock); the
# stops and reminders only of the parents this statement inserted. Only the constants
# above are interpolated; the values are parameters.
_INSERT_SQL = f"""
WITH parents AS (
    INSERT INTO scheduling_job ({_JOB_COLUMNS})
    SELECT %(tenant)s, gen_random_uuid(), now(), now(), nextval(%(version_sequence)s::regclass), o.schedule_id,
           o.occurrence_at, 0, NULL, s.kind,
           'SCHEDULED', s.title, COALESCE(o.site_id, s.site_id), s.asset_id, s.checklist_version_id,
           s.assignee_person_id, s.assignee_team_id, s.priority, s.scan_type, o.occurrence_at,
           s.duration_minutes, o.occurrence_at + s.expires, 'ASSIGNED', false, false, '', false
    FROM yt_gen_occurrence AS o JOIN yt_gen_schedule AS s ON s.schedule_id = o.schedule_id
    ORDER BY o.schedule_id, o.occurrence_at
    ON CONFLICT (tenant_id, schedule_id, occurrence_at, seq) WHERE schedule_id IS NOT NULL DO NOTHING
    RETURNING id, schedule_id, occurrence_at, assignee_person_id, assignee_team_id, priority, scan_type
), stops AS (
    INSERT INTO scheduling_job ({_JOB_COLUMNS})
    {_STOP_SELECT} JOIN yt_gen_stop AS t ON t.schedule_id = p.schedule_id
    UNION ALL
    {_STOP_SELECT} JOIN yt_gen_shuffled_stop AS t
        ON t.schedule_id = p.schedule_id AND t.occurrence_at = p.occurrence_at
    ON CONFLICT (tenant_id, schedule_id, occurrence_at, seq) WHERE schedule_id IS NOT NULL DO NOTHING
    RETURNING 1
), reminders AS (
    INSERT INTO scheduling_reminder (tenant_id, uuid, created_at, modified_at, version, job_id, offset_minutes,
                                     remind_at, status, sent_at, recipients, error)
    SELECT %(tenant)s, gen_random_uuid(), now(), now(), nextval(%(version_sequence)s::regclass), p.id,
           r.offset_minutes,
           p.occurrence_at - make_interval(mins => r.offset_minutes),
           CASE WHEN p.occurrence_at - make_interval(mins => r.offset_minutes) < %(now)s
                THEN 'SKIPPED' ELSE 'PENDING' END,
           NULL, 0,
           CASE WHEN p.occurrence_at - make_interval(mins => r.offset_minutes) < %(now)s
                THEN 'planned too late' ELSE '' END
    FROM parents AS p JOIN yt_gen_reminder AS r ON r.schedule_id = p.schedule_id
    ON CONFLICT (tenant_id, job_id, offset_minutes) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM parents), (SELECT count(*) FROM stops), (SELECT count(*) FROM reminders),
       ARRAY(SELECT id FROM parents ORDER BY id LIMIT %(ids)s)
"""  # noqa: S608


def _ts(value: datetime, cache: dict[datetime, str]) -> str:
    text = cache.get(value)
    if text is None:
        text = cache[value] = value.isoformat()
    return text


class _Batch:
    """The rows of one chunk, as COPY data for the temporary tables."""

    def __init__(self, tenant_id: int, now: datetime) -> None:
        self.tenant_id = tenant_id
        self.now = now
        self.schedules: list[tuple[Any, ...]] = []
        self.occurrences = io.StringIO()
        self.stops: list[tuple[Any, ...]] = []
        self.shuffled: list[tuple[Any, ...]] = []
        self.reminders: list[tuple[int, int]] = []
        self.count = 0
        self._texts: dict[datetime, str] = {}

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, plan: planning.Plan, found: Sequence[datetime]) -> None:
        pk = plan.schedule_id
        self.schedules.append(
            (
                pk,
                plan.kind,
                plan.title,
                plan.site_id,
                plan.asset_id,
                plan.checklist_version_id,
                plan.assignee_person_id,
                plan.assignee_team_id,
                plan.priority,
                plan.scan_type,
                plan.duration_minutes,
                plan.expires,
            )
        )
        self.reminders.extend((pk, offset) for offset in plan.reminder_offsets)
        write = self.occurrences.write
        if not plan.shuffled:
            self.stops.extend(
                (
                    pk,
                    s.seq,
                    s.title,
                    s.site_id,
                    s.asset_id,
                    s.checklist_version_id,
                    s.start,
                    s.duration_minutes,
                    s.expires,
                )
                for s in plan.stops
            )
            prefix = f"{pk}\t"
            for at in found:
                write(prefix + _ts(at, self._texts) + "\t\\N\n")
        else:
            for at in found:
                stops = planning.stops_at(plan, at)
                write(f"{pk}\t{_ts(at, self._texts)}\t{stops[0].site_id}\n")
                self.shuffled.extend(
                    (
                        pk,
                        at,
                        s.seq,
                        s.title,
                        s.site_id,
                        s.asset_id,
                        s.checklist_version_id,
                        s.start,
                        s.duration_minutes,
                        s.expires,
                    )
                    for s in stops
                )
        self.count += len(found)

    def insert(self, connection: Any) -> tuple[int, list[int]]:
        """Load the temporary tables and insert; returns the jobs created (parents and
        stops) and the first parent ids, for the change log."""
        with connection.cursor() as cursor:
            for name, columns in _TEMP_TABLES.items():
                # Kept for the session and emptied at commit; emptied here too, because
                # inside an outer transaction (tests) the commit has not happened yet.
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS")
            cursor.execute(f"TRUNCATE {', '.join(_TEMP_TABLES)}")
            raw = cursor.cursor
            with raw.copy("COPY yt_gen_schedule FROM STDIN") as copy:
                for row in self.schedules:
                    copy.write_row(row)
            with raw.copy("COPY yt_gen_occurrence FROM STDIN") as copy:
                copy.write(self.occurrences.getvalue())
            for name, rows in (
                ("yt_gen_stop", self.stops),
                ("yt_gen_shuffled_stop", self.shuffled),
                ("yt_gen_reminder", self.reminders),
            ):
                if rows:
                    with raw.copy(f"COPY {name} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            params = {
                "tenant": self.tenant_id,
                "now": self.now,
                "ids": BULK_IDS,
                "version_sequence": version_sequence(self.tenant_id, using=connection.alias),
            }
            cursor.execute(_INSERT_SQL, params)
            parents, stops, _, ids = cursor.fetchone()
        return int(parents) + int(stops), list(ids)


# --- Removal ------------------------------------------------------------------------------

# Top-level jobs of the schedules that nobody started, in the future, whose stops are all
# untouched; with their stops and reminders. Foreign keys are checked at commit.
_REMOVE_SQL = """
WITH doomed AS (
    SELECT j.id FROM scheduling_job AS j
    WHERE j.tenant_id = %(tenant)s AND j.schedule_id = ANY(%(schedules)s) AND j.parent_id IS NULL
      AND j.status = 'ASSIGNED' AND j.started_at IS NULL AND j.plan_at > %(now)s
      AND NOT EXISTS (
          SELECT 1 FROM scheduling_job AS c
          WHERE c.tenant_id = %(tenant)s AND c.parent_id = j.id
            AND (c.status <> 'ASSIGNED' OR c.started_at IS NOT NULL)
      )
    FOR UPDATE OF j
), victims AS (
    SELECT id FROM doomed
    UNION ALL
    SELECT c.id FROM scheduling_job AS c JOIN doomed AS d ON c.parent_id = d.id WHERE c.tenant_id = %(tenant)s
), reminders AS (
    DELETE FROM scheduling_reminder AS r USING victims AS v WHERE r.tenant_id = %(tenant)s AND r.job_id = v.id
), jobs AS (
    DELETE FROM scheduling_job AS j USING victims AS v WHERE j.tenant_id = %(tenant)s AND j.id = v.id
    RETURNING j.id
)
SELECT count(*), ARRAY(SELECT id FROM jobs ORDER BY id LIMIT %(ids)s) FROM jobs
"""


def _remove_future(schedule_ids: Sequence[int], now: datetime) -> tuple[int, list[int]]:
    """Delete the future unstarted jobs of the schedules; returns how many (stops included)
    and the first ids. The caller records the change log entry, saying why."""
    if not schedule_ids:
        return 0, []
    with connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute(
            _REMOVE_SQL,
            {"tenant": tenancy.current_tenant().id, "schedules": list(schedule_ids), "now": now, "ids": BULK_IDS},
        )
        count, ids = cursor.fetchone()
    return int(count), list(ids)


def remove_future_jobs(schedule: Schedule, now: datetime | None = None) -> int:
    """Delete the schedule's future jobs nobody started (status ASSIGNED, planned after
    ``now``, no stop touched), with their stops and reminders; returns the jobs deleted
    (stops included). Started and finished jobs and past ones stay."""
    with transaction.atomic(using=tenancy.db_alias()):
        removed, ids = _remove_future([schedule.pk], now or timezone.now())
        record_bulk(
            Job, Action.BULK_DELETE, count=removed, ids=ids, related=schedule, summary=f"{removed} future jobs removed"
        )
    return removed


def replace_future_jobs(schedule: Schedule, now: datetime | None = None) -> int:
    """After an edit: remove the future unstarted jobs, forget ``generated_until`` and plan
    again at once (a dynamic tour: its next instance, if none is open); returns the jobs
    created. An inactive schedule only loses its future jobs."""
    now = now or timezone.now()
    with transaction.atomic(using=tenancy.db_alias()):
        removed, removed_ids = _remove_future([schedule.pk], now)
        Schedule.objects.filter(pk=schedule.pk).update(generated_until=None)
        schedule.generated_until = None
        active = Schedule.objects.filter(pk=schedule.pk, is_active=True).exists()
        if not active or schedule.is_dynamic:
            record_bulk(
                Job,
                Action.BULK_DELETE,
                count=removed,
                ids=removed_ids,
                related=schedule,
                summary=f"{removed} future jobs removed",
            )
            if not active:
                return 0
            # A dynamic tour's one instance is logged as created, its stops in one entry.
            job = plan_dynamic_instance(schedule, now)
            return 0 if job is None else 1 + Job.objects.filter(parent=job).count()
        made = _generate_schedule(schedule, now)
        if removed:
            record_bulk(
                Job,
                Action.BULK_REPLACE,
                count=removed + made.created,
                ids=made.ids or removed_ids,
                related=schedule,
                summary=f"{removed} future jobs replaced by {made.created}",
                changes={"rows": [removed, made.created]},
            )
        else:
            record_bulk(
                Job,
                Action.BULK_CREATE,
                count=made.created,
                ids=made.ids,
                related=schedule,
                summary=f"{made.created} jobs planned",
            )
        return made.created


def stop_asset_work(asset: Asset, now: datetime | None = None) -> int:
    """The asset was scrapped (or deactivated): remove the future unstarted jobs of its PPM
    and task schedules; returns the jobs deleted. Generation skips those schedules while
    the asset stays so, and resumes from then on if it comes back.

    A checkpoint: the tours that stop there are planned again at once without that stop
    (their future unstarted jobs replaced), so nobody is sent to scan a tag that is gone.
    """
    now = now or timezone.now()
    with transaction.atomic(using=tenancy.db_alias()):
        ids = list(Schedule.objects.filter(asset=asset, kind__in=ASSET_KINDS).values_list("pk", flat=True))
        removed, removed_ids = _remove_future(ids, now)
        record_bulk(
            Job,
            Action.BULK_DELETE,
            count=removed,
            ids=removed_ids,
            related=asset,
            summary=f"{removed} future jobs removed: the asset is out of service",
        )
        if ids:
            Schedule.objects.filter(pk__in=ids).update(generated_until=None)
        tours = Schedule.objects.filter(
            pk__in=ScheduleStop.objects.filter(checkpoint=asset).values("schedule_id"), is_active=True
        ).select_related("site", "checklist", "asset")
        for tour in tours.order_by("pk"):
            replace_future_jobs(tour, now)
    return removed


# --- Dynamic tours ------------------------------------------------------------------------


def plan_dynamic_instance(schedule: Schedule, plan_at: datetime) -> Job | None:
    """Create the next instance of a dynamic tour, planned at ``plan_at`` (origin DYNAMIC,
    ``occurrence_at = plan_at``), with its stops; returns the parent job.

    Returns None when the schedule is not an active dynamic schedule, when an instance is
    still open (there is one at a time), or when it cannot be planned (logged).
    """
    with transaction.atomic(using=tenancy.db_alias()):
        locked = (
            Schedule.objects.filter(pk=schedule.pk, is_active=True, is_dynamic=True)
            .select_related("site", "checklist", "asset")
            .select_for_update(no_key=True, of=("self",))
            .first()
        )
        if locked is None:
            return None
        if Job.objects.filter(schedule=locked, parent__isnull=True, status__in=Job.OPEN_STATUSES).exists():
            return None
        plans = _plans([locked])
        plan = plans.get(locked.pk)
        if plan is None:
            return None
        rows = planning.job_rows(plan, plan_at)
        common = {
            "schedule": locked,
            "occurrence_at": plan_at,
            "origin": Job.Origin.DYNAMIC,
            "assignee_person_id": plan.assignee_person_id,
            "assignee_team_id": plan.assignee_team_id,
            "priority": plan.priority,
            "scan_type": plan.scan_type,
        }
        parent = Job.objects.create(**_row_fields(rows[0]), **common)
        stops = Job.objects.bulk_create([Job(parent=parent, **_row_fields(row), **common) for row in rows[1:]])
        record_bulk(
            Job,
            Action.BULK_CREATE,
            count=len(stops),
            ids=[stop.pk for stop in stops],
            related=parent,
            summary=f"{len(stops)} stops planned",
        )
    return parent


def plan_next_instance(schedule: Schedule, at: datetime) -> Job | None:
    """The next instance of a dynamic tour at ``at`` (or when its validity starts), unless
    one is open or its validity has ended."""
    plan_at = max(at, schedule.valid_from)
    if schedule.valid_until is not None and plan_at >= schedule.valid_until:
        return None
    return plan_dynamic_instance(schedule, plan_at)  # None while an instance is open


def _revive_dynamic(now: datetime) -> int:
    """Plan an instance for every valid dynamic tour that has none open: the usual way is
    completion, but an instance the auto-close run closed must not end the tour for good.
    Returns the jobs created (parents and stops)."""
    open_instances = Job.objects.filter(
        parent__isnull=True, status__in=Job.OPEN_STATUSES, schedule__is_dynamic=True
    ).values("schedule_id")
    idle = (
        Schedule.objects.filter(is_active=True, is_dynamic=True, valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .exclude(pk__in=open_instances)
        .order_by("pk")
    )
    created = 0
    for schedule in idle:
        parent = plan_dynamic_instance(schedule, now)
        if parent is not None:
            created += 1 + Job.objects.filter(parent=parent).count()
    return created


def _row_fields(row: planning.JobRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "kind": row.kind,
        "title": row.title,
        "site_id": row.site_id,
        "asset_id": row.asset_id,
        "checklist_version_id": row.checklist_version_id,
        "plan_at": row.plan_at,
        "duration_minutes": row.duration_minutes,
        "expires_at": row.expires_at,
    }
