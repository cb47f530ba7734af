"""Benchmark: auto-closing 200,000 expired jobs of one tenant, set-based.

One tenant holds ``BENCH_JOBS`` (200,000) expired open jobs: tours of ``BENCH_STOPS``
stops (a quarter with every stop already done, a quarter with half of them, the rest with
none; a tenth of the open ones in progress) and, for the rest, tasks, maintenance jobs
and site reports of 1,000 schedules. They are inserted each run with ``INSERT ... SELECT
generate_series`` inside the tenant context as the runtime role (row-level security and
the version trigger apply, as in production; the previous run's rows are deleted by a
superuser, ``BENCH_SUPERUSER_URL``), then the table is vacuumed and analysed by its
owner. ``autoclose_tenant`` is timed alone, and a second run must close nothing.

Baseline, in the same run: the rows are put back as they were, the table vacuumed again,
and a single plain ``UPDATE scheduling_job SET status = 'AUTOCLOSED', version =
nextval(<the tenant's sequence>) WHERE id = ANY(...)`` of the same rows is timed. It sets
the version itself, as the service's statements do, so the per-row version trigger stands
aside for both and the ratio compares like with like. The ratio is auto-close jobs/s over
plain-update jobs/s (1.0: as fast as the cheapest UPDATE of those rows can be).

The miss report (alert, e-mail to the in-charge, ticket) is timed separately on a small
sample in a tenant of its own (``BENCH_REPORT_JOBS``); e-mails go to the in-memory backend.

Last line: ``autoclose: <jobs>/s ratio <r> vs plain update (<n> jobs in <s> s; plain update <s> s)``.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")
# The miss report e-mails people: keep those in memory, never on the network.
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

import django

django.setup()

import psycopg  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.core import tenancy  # noqa: E402
from apps.core.rls import version_sequence  # noqa: E402
from apps.core.tenancy import tenant_context  # noqa: E402
from apps.helpdesk.models import Ticket  # noqa: E402
from apps.noc.models import Alert  # noqa: E402
from apps.notifications.models import NotificationLog  # noqa: E402
from apps.people.services import create_person, ensure_seed_roles  # noqa: E402
from apps.scheduling import autoclose  # noqa: E402
from apps.scheduling.models import Job, Schedule  # noqa: E402
from apps.sites.models import Client, Site  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services import create_tenant  # noqa: E402
from youtility.celery import app as celery_app  # noqa: E402

SLUG = "bench-autoclose"
REPORT_SLUG = "bench-autoclose-report"
JOBS = int(os.environ.get("BENCH_JOBS", "200000"))
TOURS = int(os.environ.get("BENCH_TOURS", "10000"))
STOPS = int(os.environ.get("BENCH_STOPS", "9"))
TASK_SCHEDULES, TOUR_SCHEDULES = 1000, 100
REPORT_JOBS = int(os.environ.get("BENCH_REPORT_JOBS", "300"))
GOAL = 50_000
# VACUUM and ANALYZE need the table owner; scripts/bench.sh migrates as this role.
OWNER_URL = os.environ.get("BENCH_OWNER_DATABASE_URL", "postgres://youtility@127.0.0.1:5432/youtility_bench")
# Removing the previous run's rows fast needs a superuser (see ``clear_jobs``).
SUPERUSER_URL = os.environ.get("BENCH_SUPERUSER_URL", "postgres://postgres@127.0.0.1:5432/youtility_bench")

COLUMNS = (
    "tenant_id, uuid, created_at, modified_at, version, schedule_id, occurrence_at, seq, parent_id, kind, origin, "
    "title, site_id, priority, scan_type, plan_at, duration_minutes, expires_at, status, alert, deviation, "
    "remarks, miss_pending"
)

# Tour parents: tour i of schedule i % m, one occurrence an hour, all expired hours ago.
INSERT_TOURS = f"""
INSERT INTO scheduling_job ({COLUMNS})
SELECT %(tenant)s, gen_random_uuid(), now(), now(), 0, (%(schedules)s::bigint[])[1 + i %% %(m)s], occ, 0, NULL,
       CASE WHEN i %% 5 = 0 THEN 'EXTERNAL_TOUR' ELSE 'INTERNAL_TOUR' END, 'SCHEDULED', 'Patrol ' || i, %(site)s,
       (ARRAY['LOW', 'MEDIUM', 'HIGH'])[1 + i %% 3], 'QR', occ, %(stops)s * 10,
       occ + make_interval(mins => %(stops)s * 10 + 5), CASE WHEN i %% 4 = 3 THEN 'ASSIGNED' ELSE 'INPROGRESS' END,
       false, false, '', false
FROM generate_series(0, %(count)s - 1) AS i,
     LATERAL (SELECT %(base)s - make_interval(hours => 3 + i / %(m)s)) AS t(occ)
"""

# Stops: id %% 4 = 0 every stop done, 1 the first half done, else none; stop s expires 10 min apart.
INSERT_STOPS = f"""
INSERT INTO scheduling_job ({COLUMNS})
SELECT p.tenant_id, gen_random_uuid(), now(), now(), 0, p.schedule_id, p.occurrence_at, s, p.id, 'STOP', 'SCHEDULED',
       p.title || ': CP' || s, p.site_id, p.priority, 'QR', p.plan_at + make_interval(mins => (s - 1) * 10), 10,
       p.plan_at + make_interval(mins => s * 10 + 5),
       CASE WHEN p.id %% 4 = 0 OR (p.id %% 4 = 1 AND s <= %(stops)s / 2) THEN 'COMPLETED'
            WHEN s = 1 AND p.status = 'INPROGRESS' THEN 'INPROGRESS' ELSE 'ASSIGNED' END,
       false, false, '', false
FROM scheduling_job AS p, generate_series(1, %(stops)s) AS s
WHERE p.tenant_id = %(tenant)s AND p.parent_id IS NULL AND p.kind IN ('INTERNAL_TOUR', 'EXTERNAL_TOUR')
"""

INSERT_TASKS = f"""
INSERT INTO scheduling_job ({COLUMNS})
SELECT %(tenant)s, gen_random_uuid(), now(), now(), 0, (%(schedules)s::bigint[])[1 + i %% %(m)s], occ, 0, NULL,
       (ARRAY['TASK', 'TASK', 'PPM', 'SITE_REPORT'])[1 + i %% 4], 'SCHEDULED', 'Task ' || i, %(site)s,
       (ARRAY['LOW', 'MEDIUM', 'HIGH'])[1 + i %% 3], 'QR', occ, 30, occ + interval '45 minutes',
       CASE WHEN i %% 10 = 0 THEN 'INPROGRESS' ELSE 'ASSIGNED' END, false, false, '', false
FROM generate_series(0, %(count)s - 1) AS i,
     LATERAL (SELECT %(base)s - make_interval(mins => 60 + i / %(m)s)) AS t(occ)
"""


def owner(sql: str) -> str:
    try:
        with psycopg.connect(OWNER_URL, autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]
        return "done"
    except psycopg.Error as error:
        return f"skipped ({type(error).__name__}: {str(error).strip().splitlines()[0]})"


def clear_jobs(tenant: Tenant) -> str:
    """Delete the tenant's jobs of an earlier run.

    As a superuser with triggers off (``session_replication_role``), because the per-row
    foreign-key check of ``parent_id`` cannot use an index whose first column is
    ``tenant_id`` and so reads the whole stop index for every deleted row; without a
    superuser the runtime role deletes them, slowly."""
    try:
        with psycopg.connect(SUPERUSER_URL, autocommit=True) as connection:
            connection.execute("SET session_replication_role = replica")
            connection.execute("DELETE FROM scheduling_job WHERE tenant_id = %s", [tenant.pk])
        return "superuser"
    except psycopg.Error:
        with transaction.atomic(using=tenant.db_alias):
            execute("DELETE FROM scheduling_job WHERE tenant_id = %s", [tenant.pk])
        return "runtime role"


def execute(sql: str, params: dict[str, Any] | list[Any] | None = None) -> int:
    with connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params: list[Any] | None = None) -> Any:
    with connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def ensure_tenant(slug: str, **settings: Any) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first() or create_tenant(slug=slug, name=slug.replace("-", " ").title())
    if settings and tenant.settings != settings:
        Tenant.objects.filter(pk=tenant.pk).update(settings=settings)
        tenant.refresh_from_db()
    return tenant


def ensure_site(code: str, email: str = "") -> Site:
    site = Site.objects.filter(code=code).first()
    if site is None:
        client = Client.objects.get_or_create(code="BENCH", defaults={"name": "Bench Facilities"})[0]
        site = Site.objects.create(client=client, code=code, name=f"Bench {code}", location=Point(73.85, 18.52))
    if email and site.in_charge_id is None:
        roles = ensure_seed_roles()
        site.in_charge = create_person(login="incharge", name="In Charge", password=None, roles=[roles["supervisor"]])
        site.in_charge.email = email
        site.in_charge.save(update_fields=["email"])
        site.save(update_fields=["in_charge"])
    return site


def ensure_schedules(site: Site, kind: str, count: int) -> list[int]:
    prefix = f"bench-{kind.lower()}-"
    have = Schedule.objects.filter(name__startswith=prefix).count()
    if have < count:
        valid_from = timezone.now() - timedelta(days=365)
        Schedule.objects.bulk_create(
            Schedule(name=f"{prefix}{n:04d}", kind=kind, site=site, cron="0 * * * *", valid_from=valid_from)
            for n in range(have, count)
        )
    return list(Schedule.objects.filter(name__startswith=prefix).order_by("pk").values_list("pk", flat=True)[:count])


def fill(tenant: Tenant, site: Site, jobs: int, tours: int, stops: int, tasks: int | None = None) -> dict[str, int]:
    """Replace the tenant's jobs with ``jobs`` expired open ones: ``tours`` tours of
    ``stops`` stops, and tasks for the rest (or exactly ``tasks`` of them)."""
    task_ids = ensure_schedules(site, "TASK", TASK_SCHEDULES)
    tour_ids = ensure_schedules(site, "INTERNAL_TOUR", TOUR_SCHEDULES)
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    common = {"tenant": tenant.pk, "site": site.pk, "base": base, "stops": stops}
    clear_jobs(tenant)
    with transaction.atomic(using=tenant.db_alias):
        execute(INSERT_TOURS, {**common, "schedules": tour_ids, "m": len(tour_ids), "count": tours})
        execute(INSERT_STOPS, common)
        open_tour_rows = scalar(
            "SELECT count(*) FROM scheduling_job WHERE tenant_id = %s AND status IN ('ASSIGNED', 'INPROGRESS')",
            [tenant.pk],
        )
        if tasks is None:
            tasks = max(jobs - open_tour_rows, 0)
        execute(INSERT_TASKS, {**common, "schedules": task_ids, "m": len(task_ids), "count": tasks})
        done_stops = scalar(
            "SELECT count(*) FROM scheduling_job WHERE tenant_id = %s AND status = 'COMPLETED'", [tenant.pk]
        )
    return {"tasks": tasks, "tours": tours, "stops": tours * stops, "done_stops": done_stops}


def open_rows(tenant: Tenant) -> tuple[list[int], list[str]]:
    with connections[tenant.db_alias].cursor() as cursor:
        cursor.execute(
            "SELECT id, status FROM scheduling_job WHERE tenant_id = %s AND status IN ('ASSIGNED', 'INPROGRESS') "
            "ORDER BY id",
            [tenant.pk],
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], [row[1] for row in rows]


def reset(tenant: Tenant, ids: list[int], statuses: list[str]) -> None:
    with transaction.atomic(using=tenant.db_alias):
        execute(
            "UPDATE scheduling_job AS j SET status = o.status, miss_pending = false "
            "FROM unnest(%s::bigint[], %s::text[]) AS o(id, status) WHERE j.id = o.id",
            [ids, statuses],
        )


def table_facts() -> str:
    indexes = scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'scheduling_job'")
    triggers = scalar(
        "SELECT string_agg(tgname, ', ' ORDER BY tgname) FROM pg_trigger "
        "WHERE tgrelid = 'scheduling_job'::regclass AND NOT tgisinternal"
    )
    return f"scheduling_job: {indexes} indexes, triggers: {triggers or 'none'}"


def bench_report() -> str:
    """Close and report a small sample of misses in a tenant of its own."""
    tenant = ensure_tenant(
        REPORT_SLUG, scheduling={"on_miss": {"TASK": {"email": True, "ticket": True}, "PPM": {"ticket": True}}}
    )
    celery_app.conf.task_always_eager = True  # e-mails are sent in-process, to memory
    with tenant_context(tenant):
        site = ensure_site("REPORT", email="incharge@example.com")
        with transaction.atomic(using=tenant.db_alias):
            NotificationLog.objects.all().delete()
            Alert.objects.all().delete()
            Ticket.objects.all().delete()
        fill(tenant, site, 0, max(REPORT_JOBS // 10, 1), 10, tasks=REPORT_JOBS - REPORT_JOBS // 10)
        autoclose.autoclose_tenant()
        pending = Job.objects.filter(miss_pending=True).count()
        started = time.perf_counter()
        reported = autoclose.report_missed_tenant(limit=pending)
        seconds = time.perf_counter() - started
        alerts, tickets = Alert.objects.count(), Ticket.objects.count()
        mails = NotificationLog.objects.filter(event="job.missed").count()
    return (
        f"report_missed: {reported / seconds:,.0f} misses/s ({reported} misses in {seconds:.2f} s: "
        f"{alerts} alerts, {mails} e-mails, {tickets} tickets)"
    )


def main() -> None:
    tenant = ensure_tenant(SLUG)
    with tenant_context(tenant):
        site = ensure_site("AUTOCLOSE")
        started = time.perf_counter()
        facts = fill(tenant, site, JOBS, TOURS, STOPS)
        filled = time.perf_counter() - started
        ids, statuses = open_rows(tenant)
        print(
            f"data: tenant {SLUG}, {len(ids)} expired open jobs ({facts['tasks']} tasks/PPM/site reports, "
            f"{facts['tours']} tours of {STOPS} stops, {facts['done_stops']} stops already done) "
            f"inserted in {filled:.1f} s, vacuum analyse {owner('VACUUM ANALYZE scheduling_job')}"
        )
        print(table_facts())

        now = timezone.now()
        started = time.perf_counter()
        closed = autoclose.autoclose_tenant(now)
        seconds = time.perf_counter() - started
        outcome = dict(Job.objects.filter(parent=None).values_list("status").annotate(n=Count("pk")))
        print(f"closed {closed} jobs; top-level outcome: {', '.join(f'{k} {v}' for k, v in sorted(outcome.items()))}")
        assert closed == len(ids), (closed, len(ids))
        assert autoclose.autoclose_tenant(now) == 0  # a re-run changes nothing

        reset(tenant, ids, statuses)
        owner("VACUUM ANALYZE scheduling_job")
        with transaction.atomic(using=tenant.db_alias):
            started = time.perf_counter()
            sequence = version_sequence(tenant.pk, using=tenant.db_alias)
            plain_rows = execute(
                "UPDATE scheduling_job SET status = 'AUTOCLOSED', version = nextval(%s::regclass) WHERE id = ANY(%s)",
                [sequence, ids],
            )
            plain = time.perf_counter() - started
        assert plain_rows == len(ids), plain_rows
    print(bench_report())
    rate = closed / seconds
    verdict = "goal met" if rate > GOAL else f"below the {GOAL:,} jobs/s goal"
    print(f"autoclose {verdict}; plain update of the same rows: {plain_rows / plain:,.0f} jobs/s")
    print(
        f"autoclose: {rate:.0f}/s ratio {rate / (plain_rows / plain):.2f} vs plain update "
        f"({closed} jobs in {seconds:.2f} s; plain update {plain:.2f} s)"
    )


if __name__ == "__main__":
    main()
