"""Benchmark: job generation for a large tenant, against a plain COPY of the same rows.

One tenant holds 2,000 schedules: 1,000 tasks every two hours ("0 */2 * * *"), 500
internal tours of 10 stops every hour ("0 * * * *") and 500 daily PPM schedules with a
one-hour reminder, spread over 50 sites. ``generation.generate_tenant`` expands them for
the 48-hour window, as the runtime role under row-level security (~289,000 job rows:
24,000 tasks, 24,000 tours with 240,000 stops, 1,000 PPM jobs, plus their reminders).

The baseline, measured in the same run, is a PostgreSQL COPY of the same number of job
rows of the same shape (tours with their stops pointing at them, the same columns,
indexes, triggers and deferred foreign-key checks) into the same table, by the superuser
(COPY into a table with forced row-level security is refused to anyone else); only the
COPY is timed, its rows are built before and deleted after. The ratio is our throughput
over the COPY's: 1.0 would mean generating jobs costs no more than bulk-loading them.

Then the generation runs again a second later (every schedule is due again, nothing is
left to create) and its time is given as a share of the first run's.

Last line: ``scheduling: <jobs>/s ratio <r> vs copy (<n> jobs in <s> s; copy <s> s;
re-run <pct>% of first run)``.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.assets.models import Asset  # noqa: E402
from apps.checklists.models import AnswerType, Checklist, Question  # noqa: E402
from apps.checklists.services import create_question, publish_checklist  # noqa: E402
from apps.core.tenancy import tenant_context  # noqa: E402
from apps.people.models import Person  # noqa: E402
from apps.people.services import create_person, ensure_seed_roles  # noqa: E402
from apps.scheduling import cron, generation  # noqa: E402
from apps.scheduling.models import Kind, Schedule, ScheduleStop  # noqa: E402
from apps.sites.models import Client, Site  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services import create_tenant  # noqa: E402

SLUG = "bench-scheduling"
SITES = 50
TASKS, TOURS, PPMS = 1000, 500, 500
STOPS = 10
NULL = "\\N"
SUPERUSER_URL = os.environ.get("BENCH_SUPERUSER_URL", "postgres://postgres@127.0.0.1:5432/youtility_bench")


def prepare() -> Tenant:
    """The tenant and its schedules; creates only what is missing."""
    tenant = Tenant.objects.filter(slug=SLUG).first() or create_tenant(slug=SLUG, name="Bench scheduling")
    with tenant_context(tenant):
        if Schedule.objects.count() == TASKS + TOURS + PPMS:
            print(f"data: tenant {SLUG}, {TASKS + TOURS + PPMS} schedules (already there)")
            return tenant
        started = time.perf_counter()
        with transaction.atomic(using=tenant.db_alias):
            roles = ensure_seed_roles()
            guard = Person.objects.filter(login="guard").first() or create_person(
                login="guard", name="Bench Guard", password=None, roles=[roles["guard"]]
            )
            # Master data may be left by an earlier run whose schedules were dropped.
            client = Client.objects.get_or_create(code="BENCH", defaults={"name": "Bench Facilities"})[0]
            sites = [
                Site.objects.get_or_create(
                    code=f"S{n:02d}",
                    defaults={
                        "client": client,
                        "name": f"Site {n}",
                        "location": Point(73.85, 18.52),
                        "timezone": "Asia/Kolkata",
                    },
                )[0]
                for n in range(SITES)
            ]
            checkpoints = {
                site.pk: [
                    Asset.objects.get_or_create(
                        code=f"{site.code}-CP{n}",
                        defaults={"site": site, "kind": Asset.Kind.CHECKPOINT, "name": f"Checkpoint {n}"},
                    )[0]
                    for n in range(STOPS)
                ]
                for site in sites
            }
            pumps = [
                Asset.objects.get_or_create(code=f"{site.code}-PUMP", defaults={"site": site, "name": "Pump"})[0]
                for site in sites
            ]
            question = Question.objects.filter(code="BENCH-Q").first() or create_question(
                code="BENCH-Q", text="All well?", answer_type=AnswerType.SINGLE_LINE
            )
            items = [{"title": "Main", "items": [{"question_id": question.pk}]}]
            checklist = (
                Checklist.objects.filter(code="BENCH-CL").first()
                or (
                    publish_checklist(
                        None, code="BENCH-CL", name="Round", kind=Checklist.Kind.CHECKLIST, sections=items
                    )
                ).checklist
            )
            maintenance = (
                Checklist.objects.filter(code="BENCH-PM").first()
                or (
                    publish_checklist(
                        None, code="BENCH-PM", name="Service", kind=Checklist.Kind.ASSET_MAINTENANCE, sections=items
                    )
                ).checklist
            )
            valid_from = timezone.now() - timedelta(days=1)
            common = {"valid_from": valid_from, "assignee_person": guard, "duration_minutes": 30, "grace_minutes": 15}
            rows = [
                Schedule(kind=Kind.TASK, name=f"Task {n}", site=sites[n % SITES], cron="0 */2 * * *", **common)
                for n in range(TASKS)
            ]
            rows += [
                Schedule(
                    kind=Kind.INTERNAL_TOUR,
                    name=f"Tour {n}",
                    site=sites[n % SITES],
                    cron="0 * * * *",
                    checklist=checklist,
                    **{**common, "duration_minutes": 5, "grace_minutes": 5},
                )
                for n in range(TOURS)
            ]
            rows += [
                Schedule(
                    kind=Kind.PPM,
                    name=f"PPM {n}",
                    site=sites[n % SITES],
                    asset=pumps[n % SITES],
                    cron="0 9 * * *",
                    checklist=maintenance,
                    reminder_offsets=[60],
                    **common,
                )
                for n in range(PPMS)
            ]
            schedules = Schedule.objects.bulk_create(rows)
            ScheduleStop.objects.bulk_create(
                ScheduleStop(schedule=schedule, position=position, checkpoint=checkpoint, offset_minutes=1)
                for schedule in schedules
                if schedule.kind == Kind.INTERNAL_TOUR
                for position, checkpoint in enumerate(checkpoints[schedule.site_id], start=1)
            )
        print(f"data: tenant {SLUG}, {len(schedules)} schedules created in {time.perf_counter() - started:.1f} s")
    return tenant


def superuser() -> psycopg.Connection:
    return psycopg.connect(SUPERUSER_URL, autocommit=True)


def clean(tenant: Tenant) -> None:
    """No job of the tenant, every schedule to generate from scratch, tables vacuumed.

    Triggers are off for the deletes (a superuser's session setting): the rows go with
    everything that points at them, and the per-row foreign-key checks of a bulk delete
    would take longer than the benchmark."""
    with superuser() as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute("DELETE FROM scheduling_reminder WHERE tenant_id = %s", [tenant.pk])
        connection.execute("DELETE FROM scheduling_job WHERE tenant_id = %s", [tenant.pk])
        connection.execute("UPDATE scheduling_schedule SET generated_until = NULL WHERE tenant_id = %s", [tenant.pk])
        connection.execute("VACUUM ANALYZE scheduling_job, scheduling_reminder, scheduling_schedule")


def copy_rows(tenant: Tenant, count: int, now: datetime) -> tuple[list[str], list[int]]:
    """COPY lines of ``count`` job rows shaped like the generated ones: per tour occurrence a
    parent and its 10 stops (ids reserved up front so stops point at their parent), then
    tasks; every row on a distinct (schedule, occurrence, seq) key."""
    with tenant_context(tenant):
        guard = Person.objects.get(login="guard").pk
        tours = list(
            Schedule.objects.filter(kind=Kind.INTERNAL_TOUR).values_list(
                "pk", "site_id", "checklist__current_version_id"
            )
        )
        tasks = list(Schedule.objects.filter(kind=Kind.TASK).values_list("pk", "site_id"))
        stops = {
            pk: list(
                ScheduleStop.objects.filter(schedule_id=pk).order_by("position").values_list("checkpoint_id", flat=True)
            )
            for pk, _, _ in tours
        }
    with superuser() as connection:
        first = connection.execute(
            "SELECT setval('scheduling_job_id_seq', nextval('scheduling_job_id_seq') + %s) - %s + 1", [count, count]
        ).fetchone()
    assert first is not None
    ids = list(range(int(first[0]), int(first[0]) + count))
    stamp = now.isoformat()
    lines: list[str] = []
    base = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    def line(pk: int, schedule: int, at: datetime, seq: int, parent: int | None, kind: str, title: str,
             site: int, asset: int | None, version: int | None, span: int) -> str:  # fmt: skip
        plan = at.isoformat()
        expires = (at + timedelta(minutes=span)).isoformat()
        return (
            f"{pk}\t{tenant.pk}\t{uuid.uuid4()}\t{stamp}\t{stamp}\t0\t{schedule}\t{at.isoformat()}\t{seq}\t"
            f"{NULL if parent is None else parent}\t{kind}\tSCHEDULED\t{title}\t{site}\t"
            f"{NULL if asset is None else asset}\t{NULL if version is None else version}\t{guard}\t\\N\t"
            f"MEDIUM\tQR\t{plan}\t{span}\t{expires}\tASSIGNED\tf\tf\t\tf\n"
        )

    hour = 0
    while len(lines) + STOPS + 1 <= count:
        for pk, site, version in tours:
            if len(lines) + STOPS + 1 > count:
                break
            at = base + timedelta(hours=hour)
            parent = ids[len(lines)]
            lines.append(line(parent, pk, at, 0, None, "INTERNAL_TOUR", f"Tour {pk}", site, None, version, 70))
            for seq, checkpoint in enumerate(stops[pk], start=1):
                lines.append(
                    line(ids[len(lines)], pk, at, seq, parent, "STOP", f"Tour {pk}: cp", site, checkpoint, version, 10)
                )
        hour += 1
    hour = 0
    while len(lines) < count:
        for pk, site in tasks:
            if len(lines) >= count:
                break
            at = base + timedelta(hours=hour)
            lines.append(line(ids[len(lines)], pk, at, 0, None, "TASK", f"Task {pk}", site, None, None, 45))
        hour += 2
    return lines, ids


COPY_SQL = (
    "COPY scheduling_job (id, tenant_id, uuid, created_at, modified_at, version, schedule_id, occurrence_at, seq, "
    "parent_id, kind, origin, title, site_id, asset_id, checklist_version_id, assignee_person_id, "
    "assignee_team_id, priority, scan_type, plan_at, duration_minutes, expires_at, status, alert, deviation, "
    "remarks, miss_pending) FROM STDIN"
)


def baseline(tenant: Tenant, count: int, now: datetime) -> float:
    """Seconds the superuser's COPY of ``count`` such rows takes (its commit included)."""
    lines, ids = copy_rows(tenant, count, now)
    data = "".join(lines).encode()
    with superuser() as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(COPY_SQL) as copy:
            copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM scheduling_job WHERE tenant_id = %s", [tenant.pk])
        row = cursor.fetchone()
        assert row is not None and row[0] == count, (row, count)
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM scheduling_job WHERE tenant_id = %s AND id >= %s", [tenant.pk, ids[0]])
    return elapsed


def main() -> None:
    tenant = prepare()
    clean(tenant)
    now = timezone.now().replace(second=10, microsecond=0)
    with tenant_context(tenant):
        cron.cache_clear()
        started = time.perf_counter()
        created = generation.generate_tenant(now)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = generation.generate_tenant(now + timedelta(seconds=1))
        rerun = time.perf_counter() - started
    assert again == 0, f"the re-run created {again} jobs"
    print(f"generation: {created} jobs in {first:.2f} s; re-run {rerun * 1000:.0f} ms, created {again}")
    clean(tenant)
    copy_seconds = baseline(tenant, created, now)
    print(f"copy: {created} rows in {copy_seconds:.2f} s (superuser, same table)")
    rate = created / first
    ratio = copy_seconds / first
    print(
        f"scheduling: {rate:.0f}/s ratio {ratio:.2f} vs copy ({created} jobs in {first:.2f} s; "
        f"copy {copy_seconds:.2f} s; re-run {rerun / first * 100:.1f}% of first run)"
    )


if __name__ == "__main__":
    main()
