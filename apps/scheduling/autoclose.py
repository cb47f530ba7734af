"""Auto-close: expired jobs that were not done are closed, then each miss is reported.

Closing is set-based: per tenant, four UPDATE statements in one transaction, whatever the
number of jobs (``STEPS``, in this order):

1. ``expired_stops``: open stops whose own expiry has passed -> AUTOCLOSED, while their
   tour may go on;
2. ``stops_of_expired_tours``: the still-open stops of expired open tours -> AUTOCLOSED;
3. ``expired_tours``: expired open tours -> COMPLETED (every stop done),
   PARTIALLY_COMPLETED (some) or AUTOCLOSED (none), from one aggregate of their stops;
4. ``expired_jobs``: every other expired open top-level job (tasks, PPM, site reports, a
   tour without stops) -> AUTOCLOSED.

Each statement takes the rows' next sync version itself (``nextval`` of the tenant's
sequence, named once per run and sent as a literal, so it is resolved once per statement
rather than per row), so the per-row version trigger stands aside (``apps.core.rls``). Closed top-level jobs that are not
COMPLETED get ``miss_pending``; ``ended_at`` stays null
(nobody ended them). Each statement selects only open rows through the partial index
``scheduling_job_open_expiry`` and its WHERE clause is re-checked on every row it locks,
so a job completed meanwhile, or closed by an overlapping run, is left alone. Every step
reads the state the previous ones left, so a run interrupted between steps (or a run of
the first step alone) is finished correctly by the next run, and a re-run changes
nothing. Runs of one tenant are serialised by a transaction-level advisory lock: the
second one finds the tenant busy and moves on.

Reporting (``report_missed_tenant``) takes the ``miss_pending`` jobs in batches with
``SELECT ... FOR UPDATE SKIP LOCKED`` and, per job in a savepoint: raises the alert
(``TOUR_MISSED``, ``CHECKPOINT_MISSED`` or ``TASK_MISSED``; one open alert per schedule,
repeats counted on it), raises a ticket and e-mails the site's in-charge when the policy
says so (``on_miss_policy``, overridden by the schedule's ``ticket_on_miss`` /
``email_on_miss``), plans the next instance of a missed dynamic tour, then clears the flag. Overlapping runs never take the same job, so
each miss has its consequences once; e-mails and pushes go out on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from django.db import connections, transaction
from django.utils import timezone

from apps.audit.services import Action, record_bulk
from apps.core import tenancy
from apps.core.errors import DomainError
from apps.core.rls import version_sequence
from apps.core.tenant_runner import TaskRun, for_each_tenant
from apps.noc.models import Alert
from apps.tenants.models import Tenant

from . import generation
from .models import TOUR_KINDS, Job

log = structlog.get_logger(__name__)

#: Jobs locked per transaction by the miss report, and reported per tenant and run (the
#: rest wait for the next run, a minute later).
BATCH_SIZE = 100
REPORT_LIMIT = 500
#: Missed stop titles listed in an alert or e-mail (the count is always exact).
MAX_LISTED_STOPS = 50
MAX_TITLE_LENGTH = 200
#: First key of the advisory lock that serialises auto-close runs per tenant ("JOBC").
_AUTOCLOSE_LOCK = 0x4A4F_4243

Status = Job.Status

SEVERITY_OF_PRIORITY: dict[str, str] = {
    "LOW": Alert.Severity.LOW,
    "MEDIUM": Alert.Severity.MEDIUM,
    "HIGH": Alert.Severity.HIGH,
}
DEFAULT_ON_MISS: dict[str, dict[str, bool]] = {
    **{kind: {"email": False, "ticket": False} for kind in Job.Kind.values if kind != Job.Kind.STOP},
    **{str(kind): {"email": True, "ticket": False} for kind in TOUR_KINDS},
}

# --- closing ------------------------------------------------------------------------------

# Plain literals (no string building): the status test is written exactly as the partial
# index's predicate so the planner may use it, and each statement re-checks it per row.
SQL_EXPIRED_STOPS = """
UPDATE scheduling_job SET status = 'AUTOCLOSED', modified_at = %(at)s,
    version = nextval(%(version_sequence)s::regclass)
WHERE tenant_id = %(tenant)s AND status IN ('ASSIGNED', 'INPROGRESS') AND expires_at <= %(now)s
  AND parent_id IS NOT NULL
"""

SQL_STOPS_OF_EXPIRED_TOURS = """
UPDATE scheduling_job AS stop SET status = 'AUTOCLOSED', modified_at = %(at)s,
    version = nextval(%(version_sequence)s::regclass)
FROM (
    SELECT id FROM scheduling_job
    WHERE tenant_id = %(tenant)s AND status IN ('ASSIGNED', 'INPROGRESS') AND expires_at <= %(now)s
      AND parent_id IS NULL AND kind IN ('INTERNAL_TOUR', 'EXTERNAL_TOUR')
) AS tour
WHERE stop.parent_id = tour.id AND stop.tenant_id = %(tenant)s AND stop.status IN ('ASSIGNED', 'INPROGRESS')
"""

SQL_EXPIRED_TOURS = """
UPDATE scheduling_job AS tour SET
    status = CASE WHEN counted.done = counted.total THEN 'COMPLETED'
                  WHEN counted.done > 0 THEN 'PARTIALLY_COMPLETED'
                  ELSE 'AUTOCLOSED' END,
    miss_pending = counted.done < counted.total,
    modified_at = %(at)s,
    version = nextval(%(version_sequence)s::regclass)
FROM (
    SELECT stop.parent_id, count(*) AS total, count(*) FILTER (WHERE stop.status = 'COMPLETED') AS done
    FROM scheduling_job AS stop
    JOIN (
        SELECT id FROM scheduling_job
        WHERE tenant_id = %(tenant)s AND status IN ('ASSIGNED', 'INPROGRESS') AND expires_at <= %(now)s
          AND parent_id IS NULL AND kind IN ('INTERNAL_TOUR', 'EXTERNAL_TOUR')
    ) AS expired ON stop.parent_id = expired.id
    WHERE stop.tenant_id = %(tenant)s
    GROUP BY stop.parent_id
) AS counted
WHERE tour.id = counted.parent_id AND tour.tenant_id = %(tenant)s
  AND tour.status IN ('ASSIGNED', 'INPROGRESS') AND tour.expires_at <= %(now)s
"""

SQL_EXPIRED_JOBS = """
UPDATE scheduling_job SET status = 'AUTOCLOSED', miss_pending = true, modified_at = %(at)s,
    version = nextval(%(version_sequence)s::regclass)
WHERE tenant_id = %(tenant)s AND status IN ('ASSIGNED', 'INPROGRESS') AND expires_at <= %(now)s
  AND parent_id IS NULL
"""

#: (name, statement) in the order they must run; see the module docstring.
STEPS: tuple[tuple[str, str], ...] = (
    ("expired_stops", SQL_EXPIRED_STOPS),
    ("stops_of_expired_tours", SQL_STOPS_OF_EXPIRED_TOURS),
    ("expired_tours", SQL_EXPIRED_TOURS),
    ("expired_jobs", SQL_EXPIRED_JOBS),
)


def autoclose_all(now: datetime | None = None) -> TaskRun:
    """Close the expired open jobs of every active tenant (the ``scheduling.autoclose_jobs``
    task): per tenant, the jobs ``closed``. One tenant failing is logged and reported, and
    the others go on; each tenant's steps run in its one transaction."""
    now = now or timezone.now()
    return for_each_tenant("scheduling.autoclose_jobs", lambda _tenant: {"closed": autoclose_tenant(now)})


def autoclose_tenant(now: datetime | None = None) -> int:
    """Close the expired open jobs of the tenant in context, in one transaction; returns
    how many jobs were closed (stops included). 0 when another run holds the tenant."""
    return run_steps(STEPS, now)


def run_steps(steps: tuple[tuple[str, str], ...], now: datetime | None = None) -> int:
    """Run ``steps`` (a prefix of ``STEPS`` replays a run interrupted there) for the tenant
    in context in one transaction, under the tenant's auto-close lock."""
    tenant_id = tenancy.current_tenant().id
    now = now or timezone.now()
    alias = tenancy.db_alias()
    params: dict[str, Any] = {
        "tenant": tenant_id,
        "now": now,
        "at": timezone.now(),
        "version_sequence": version_sequence(tenant_id, using=alias),
    }
    counts: dict[str, int] = {}
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_AUTOCLOSE_LOCK, tenant_id])
        if not cursor.fetchone()[0]:
            log.info("scheduling.autoclose_busy", tenant_id=tenant_id)
            return 0
        for name, sql in steps:
            cursor.execute(sql, params)
            counts[name] = max(cursor.rowcount, 0)
        closed = sum(counts.values())
        # One change log entry per run and tenant, never one per job (ids are not read back:
        # that would cost the statements their speed).
        record_bulk(
            Job,
            Action.BULK_UPDATE,
            count=closed,
            summary=f"{closed} expired jobs closed ("
            + ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in counts.items())
            + ")",
        )
    if closed:
        log.info("scheduling.autoclosed", tenant_id=tenant_id, closed=closed, **counts)
    return closed


# --- reporting ----------------------------------------------------------------------------


def _flag(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def on_miss_policy(kind: str, tenant_settings: dict[str, Any] | None = None) -> dict[str, bool]:
    """Whether a missed job of ``kind`` e-mails the site's in-charge and raises a ticket,
    by the tenant's ``settings["scheduling"]["on_miss"][kind]`` (the tenant in context
    unless ``tenant_settings`` is given). Defaults: tours e-mail and raise no ticket,
    other kinds do neither. Values that are not true/false are ignored."""
    policy = dict(DEFAULT_ON_MISS.get(kind, {"email": False, "ticket": False}))
    if tenant_settings is None:
        tenant_id = tenancy.current_tenant().id
        tenant_settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    scheduling = tenant_settings.get("scheduling") if isinstance(tenant_settings, dict) else None
    on_miss = scheduling.get("on_miss") if isinstance(scheduling, dict) else None
    configured = on_miss.get(kind) if isinstance(on_miss, dict) else None
    if isinstance(configured, dict):
        for key in ("email", "ticket"):
            policy[key] = _flag(configured.get(key), policy[key])
    return policy


def report_missed_all(now: datetime | None = None) -> TaskRun:
    """Report the misses of every active tenant (the ``scheduling.report_missed`` task):
    per tenant, the jobs ``reported`` and those whose report ``failed`` (they stay pending
    for the next run). ``now`` is when the run happens (for the log). One tenant failing
    is logged and reported, and the others go on; each batch commits alone, so the jobs
    of a tenant are not all locked until its last batch."""
    now = now or timezone.now()

    def tenant_misses(_tenant: Tenant) -> dict[str, int]:
        reported, failed = _report_tenant(REPORT_LIMIT)
        return {"reported": reported, "failed": failed}

    run = for_each_tenant("scheduling.report_missed", tenant_misses, atomic=False)
    total = run.total
    if total.get("reported") or total.get("failed"):
        log.info("scheduling.misses_reported", at=now.isoformat(), **total)
    return run


def report_missed_tenant(limit: int = REPORT_LIMIT) -> int:
    """Report up to ``limit`` misses of the tenant in context; returns how many were reported.

    A job whose report fails (logged) keeps its flag and is tried again by the next run.
    """
    return _report_tenant(limit)[0]


def _report_tenant(limit: int) -> tuple[int, int]:
    tenant_id = tenancy.current_tenant().id
    tenant_settings = Tenant.objects.filter(pk=tenant_id).values_list("settings", flat=True).first() or {}
    alias = tenancy.db_alias()
    reported = 0
    failed: list[int] = []
    while reported + len(failed) < limit:
        size = min(BATCH_SIZE, limit - reported - len(failed))
        with transaction.atomic(using=alias):
            jobs = list(
                Job.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(miss_pending=True)
                .exclude(pk__in=failed)
                .select_related("site", "schedule")
                .order_by("pk")[:size]
            )
            done: list[int] = []
            for job in jobs:
                try:
                    with transaction.atomic(using=alias):
                        _report(job, tenant_settings)
                    done.append(job.pk)
                except Exception:  # logged; the job stays pending for the next run
                    failed.append(job.pk)
                    log.exception("scheduling.miss_report_job_failed", tenant_id=tenant_id, job_id=job.pk)
            if done:
                Job.objects.filter(pk__in=done).update(miss_pending=False)
        reported += len(done)
        if len(jobs) < size:
            break
    return reported, len(failed)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _local(value: datetime, tz: str) -> str:
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return f"{timezone.localtime(value, zone):%Y-%m-%d %H:%M} ({zone.key})"


def _clip(text: str, limit: int = MAX_TITLE_LENGTH) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


@dataclass
class _Miss:
    """What one closed job missed, in the shapes the alert, ticket and e-mail use."""

    job: Job
    alert_type: str
    title: str
    stop_count: int = 0
    missed_stops: tuple[str, ...] = ()

    @property
    def missed_stop_count(self) -> int:
        return len(self.missed_stops)

    def details(self) -> dict[str, Any]:
        job = self.job
        details: dict[str, Any] = {
            "job_id": job.pk,
            "schedule_id": job.schedule_id,
            "kind": job.kind,
            "status": job.status,
            "priority": job.priority,
            "plan_at": _iso(job.plan_at),
            "expires_at": _iso(job.expires_at),
            "occurrence_at": _iso(job.occurrence_at),
        }
        if job.kind in TOUR_KINDS:
            details["stop_count"] = self.stop_count
            details["missed_stop_count"] = self.missed_stop_count
        if job.status == Status.PARTIALLY_COMPLETED:
            details["missed_stops"] = list(self.missed_stops[:MAX_LISTED_STOPS])
        return details


def _miss(job: Job) -> _Miss:
    kind_label = Job.Kind(job.kind).label
    if job.kind not in TOUR_KINDS:
        return _Miss(job, Alert.Type.TASK_MISSED, _clip(f"{kind_label} missed: {job.title}"))
    stops = list(Job.objects.filter(parent_id=job.pk).order_by("seq", "pk").values_list("title", "status"))
    missed = tuple(title for title, status in stops if status != Status.COMPLETED)
    if job.status == Status.PARTIALLY_COMPLETED:
        title = f"Checkpoints missed: {job.title} ({len(missed)} of {len(stops)})"
        return _Miss(job, Alert.Type.CHECKPOINT_MISSED, _clip(title), len(stops), missed)
    return _Miss(job, Alert.Type.TOUR_MISSED, _clip(f"Tour missed: {job.title}"), len(stops), missed)


def _policy(job: Job, tenant_settings: dict[str, Any]) -> dict[str, bool]:
    policy = on_miss_policy(job.kind, tenant_settings)
    schedule = job.schedule
    if schedule is not None:
        if schedule.email_on_miss is not None:
            policy["email"] = schedule.email_on_miss
        if schedule.ticket_on_miss is not None:
            policy["ticket"] = schedule.ticket_on_miss
    return policy


def _report(job: Job, tenant_settings: dict[str, Any]) -> None:
    """Raise what one closed job calls for; a job that is not missed (completed, or
    reopened by hand) has nothing to report."""
    if job.status not in Job.MISSED_STATUSES:
        return
    from apps.noc.announce import console_path
    from apps.noc.services import raise_alert

    miss = _miss(job)
    key = f"job_missed:schedule:{job.schedule_id}" if job.schedule_id is not None else f"job_missed:job:{job.pk}"
    alert = raise_alert(
        type=miss.alert_type,
        severity=SEVERITY_OF_PRIORITY.get(job.priority, Alert.Severity.MEDIUM),
        dedupe_key=key,
        title=miss.title,
        site=job.site,
        details=miss.details(),
        source=job,
    )
    policy = _policy(job, tenant_settings)
    ticket = _raise_ticket(miss) if policy["ticket"] else None
    if policy["email"]:
        _email_in_charge(miss, alert, console_path(alert), ticket)
    if job.origin == Job.Origin.DYNAMIC and job.schedule is not None:
        # Completing an instance plans the next one; a missed instance must too, or the
        # dynamic tour would stop for good (a no-op while another instance is open).
        generation.plan_next_instance(job.schedule, timezone.now())
    log.info(
        "scheduling.miss_reported",
        job_id=job.pk,
        alert_id=alert.pk,
        alert_type=miss.alert_type,
        ticket_id=getattr(ticket, "pk", None),
        emailed=policy["email"],
    )


def _description(miss: _Miss) -> str:
    job = miss.job
    tz = job.site.timezone
    lines = [
        f"{Job.Kind(job.kind).label} \u201c{job.title}\u201d at {job.site.name} ({job.site.code}) was planned for "
        f"{_local(job.plan_at, tz)}, expired at {_local(job.expires_at, tz)} and was closed automatically "
        f"({Status(job.status).label.lower()}).",
    ]
    if miss.stop_count:
        lines.append(f"Stops missed: {miss.missed_stop_count} of {miss.stop_count}.")
        lines.extend(f"- {title}" for title in miss.missed_stops[:MAX_LISTED_STOPS])
        if miss.missed_stop_count > MAX_LISTED_STOPS:
            lines.append(f"- and {miss.missed_stop_count - MAX_LISTED_STOPS} more")
    return "\n".join(lines)


def _raise_ticket(miss: _Miss) -> Any:
    from apps.helpdesk.services import raise_ticket

    job = miss.job
    fields: dict[str, Any] = {
        "site": job.site,
        "title": _clip(f"Missed: {job.title}"),
        "description": _description(miss),
        "priority": job.priority,
        "source": job,
        "dedupe_key": f"job_missed:job:{job.pk}",
    }
    category = job.schedule.ticket_category if job.schedule is not None else None
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            return raise_ticket(category=category, **fields)
    except DomainError as error:
        if category is None or error.code not in ("unknown_category", "invalid_category"):
            raise
        # The schedule's category went bad since it was saved: the ticket matters more.
        log.warning("scheduling.miss_ticket_category_refused", job_id=job.pk, category_id=category.pk)
        return raise_ticket(category=None, **fields)


def job_console_path(job: Job) -> str:
    """The job's page in the web console (as ``apps.noc.announce.console_path`` for alerts)."""
    return f"/jobs/{job.pk}/"


def _email_in_charge(miss: _Miss, alert: Alert, alert_path: str, ticket: Any) -> None:
    from apps.notifications.services import notify

    job = miss.job
    site = job.site
    if site.in_charge_id is None:
        log.info("scheduling.miss_no_in_charge", job_id=job.pk, site_id=site.pk)
        return
    tz = site.timezone
    context: dict[str, Any] = {
        "job": {
            "id": job.pk,
            "title": job.title,
            "kind": job.kind,
            "kind_label": Job.Kind(job.kind).label,
            "status": job.status,
            "status_label": Status(job.status).label,
            "priority": job.priority,
            "schedule_id": job.schedule_id,
            "site": {"id": site.pk, "code": site.code, "name": site.name},
            "timezone": tz,
            "plan_at": _iso(job.plan_at),
            "expires_at": _iso(job.expires_at),
            "plan_at_local": _local(job.plan_at, tz),
            "expires_at_local": _local(job.expires_at, tz),
            "stop_count": miss.stop_count,
            "missed_stop_count": miss.missed_stop_count,
            "missed_stops": list(miss.missed_stops[:MAX_LISTED_STOPS]),
            "more_missed_stops": max(miss.missed_stop_count - MAX_LISTED_STOPS, 0),
            "url": job_console_path(job),
        },
        "alert": {
            "id": alert.pk,
            "type": alert.type,
            "severity": alert.severity,
            "title": alert.title,
            "url": alert_path,
        },
        "ticket": {"id": ticket.pk, "number": ticket.number} if ticket is not None else None,
    }
    notify("job.missed", people=[site.in_charge_id], context=context, site_id=site.pk)
