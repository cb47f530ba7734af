"""Auto-close (set-based, idempotent, restartable, overlap-safe) and the miss report
(alert, e-mail to the in-charge, ticket, per policy), on the real database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import structlog.testing
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.core.testing.concurrency import run_together
from apps.helpdesk.models import Ticket
from apps.noc import services as noc_services
from apps.noc.models import Alert
from apps.notifications.models import NotificationLog
from apps.notifications.rendering import console_url
from apps.people.models import Person
from apps.scheduling import autoclose
from apps.scheduling.models import Job, Schedule
from apps.sites.models import Site, SiteAssignment
from apps.tenants.models import Lookup, Tenant
from youtility.celery import app as celery_app

from .factories import make_job, make_person, make_site, make_tour

S = Job.Status


def moment() -> datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Notifications queued on commit are sent in-process, to the locmem outbox."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@dataclass
class World:
    site: Site  # with an in-charge who has an e-mail address
    other_site: Site  # no in-charge
    in_charge: Person
    supervisor: Person  # works at ``site`` (noc.manage) but is not its in-charge
    category: Lookup


@pytest.fixture
def world(tenant_a: Tenant) -> World:
    with tenant_context(tenant_a):
        in_charge = make_person("guard", login="incharge", email="incharge@example.com")
        supervisor = make_person("supervisor", login="sup", email="sup@example.com")
        site = make_site("NORTH", name="North Gate", tz="Asia/Dubai", in_charge=in_charge)
        SiteAssignment.objects.create(person=supervisor, site=site)
        other = make_site("SOUTH", name="South Yard")
        category = Lookup.objects.create(kind=Lookup.Kind.TICKET_CATEGORY, code="MISSED", name="Missed work")
        return World(site=site, other_site=other, in_charge=in_charge, supervisor=supervisor, category=category)


def schedule(site: Site, kind: str = "TASK", **fields: Any) -> Schedule:
    """A schedule row written directly: these tests are about what happens to its jobs."""
    fields.setdefault("name", f"{kind.title()} schedule")
    return Schedule.objects.create(
        site=site, kind=kind, cron="0 * * * *", valid_from=moment() - timedelta(days=1), **fields
    )


def job(site: Site, *, expires_in: int, status: str = S.ASSIGNED, **fields: Any) -> Job:
    """A top-level job expiring ``expires_in`` minutes from now (negative: expired)."""
    expires_at = moment() + timedelta(minutes=expires_in)
    fields.setdefault("plan_at", expires_at - timedelta(minutes=45))
    if fields.get("schedule") is not None:
        fields.setdefault("occurrence_at", fields["plan_at"])
    return make_job(site=site, expires_at=expires_at, status=status, **fields)


def tour(
    site: Site,
    stops: Sequence[tuple[str, int]],
    *,
    status: str = S.INPROGRESS,
    kind: str = "INTERNAL_TOUR",
    **fields: Any,
) -> tuple[Job, list[Job]]:
    """A tour and its stops, each stop given as (status, minutes until it expires); the
    tour expires with its last stop."""
    expires_in = max((minutes for _, minutes in stops), default=fields.pop("expires_in", -5))
    title = fields.pop("title", "Night patrol")
    parent = job(site, expires_in=expires_in, status=status, kind=kind, title=title, **fields)
    children = [
        job(
            site,
            expires_in=minutes,
            status=stop_status,
            kind=Job.Kind.STOP,
            parent=parent,
            seq=seq,
            title=f"{title}: CP{seq}",
            plan_at=parent.plan_at,
            schedule=parent.schedule,
            occurrence_at=parent.occurrence_at,
        )
        for seq, (stop_status, minutes) in enumerate(stops, start=1)
    ]
    return parent, children


def state(*jobs: Job) -> list[tuple[str, bool]]:
    rows = dict(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("pk", "status"))
    pending = dict(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("pk", "miss_pending"))
    return [(rows[j.pk], pending[j.pk]) for j in jobs]


def statuses(*jobs: Job) -> list[str]:
    return [status for status, _ in state(*jobs)]


# --- closing --------------------------------------------------------------------------------


def test_expired_tasks_ppm_and_site_reports_are_autoclosed_and_marked_missed(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        task = job(world.site, expires_in=-1, kind="TASK")
        started = job(world.site, expires_in=-30, kind="PPM", status=S.INPROGRESS, started_at=moment())
        report = job(world.site, expires_in=0, kind="SITE_REPORT")  # expires exactly now
        later = job(world.site, expires_in=1, kind="TASK")
        done = job(world.site, expires_in=-10, kind="TASK", status=S.COMPLETED, ended_at=moment())
        done_version = Job.objects.get(pk=done.pk).version

        assert autoclose.autoclose_tenant(moment()) == 3

        assert state(task, started, report, later, done) == [
            (S.AUTOCLOSED, True),
            (S.AUTOCLOSED, True),
            (S.AUTOCLOSED, True),
            (S.ASSIGNED, False),
            (S.COMPLETED, False),
        ]
        assert list(Job.objects.filter(pk__in=[task.pk, started.pk]).values_list("ended_at", flat=True)) == [None, None]
        assert Job.objects.get(pk=done.pk).version == done_version  # not even touched


def test_tours_close_as_completed_partially_completed_or_autoclosed(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        all_done, all_done_stops = tour(world.site, [(S.COMPLETED, -20), (S.COMPLETED, -10)])
        some, some_stops = tour(world.site, [(S.COMPLETED, -20), (S.ASSIGNED, -10), (S.INPROGRESS, -5)])
        none, none_stops = tour(world.site, [(S.ASSIGNED, -20), (S.ASSIGNED, -10)], status=S.ASSIGNED)
        external, external_stops = tour(
            world.other_site, [(S.AUTOCLOSED, -20), (S.COMPLETED, -3)], kind="EXTERNAL_TOUR"
        )

        # stops closed: 2 (some) + 2 (none); tours closed: 4
        assert autoclose.autoclose_tenant(moment()) == 8

        assert state(all_done, some, none, external) == [
            (S.COMPLETED, False),
            (S.PARTIALLY_COMPLETED, True),
            (S.AUTOCLOSED, True),
            (S.PARTIALLY_COMPLETED, True),
        ]
        assert statuses(*all_done_stops) == [S.COMPLETED, S.COMPLETED]
        assert statuses(*some_stops) == [S.COMPLETED, S.AUTOCLOSED, S.AUTOCLOSED]
        assert statuses(*none_stops) == [S.AUTOCLOSED, S.AUTOCLOSED]
        assert statuses(*external_stops) == [S.AUTOCLOSED, S.COMPLETED]
        # Stops never carry the miss flag: their tour reports them.
        assert not Job.objects.filter(kind=Job.Kind.STOP, miss_pending=True).exists()
        assert not Job.objects.exclude(ended_at=None).exists()


def test_stops_close_on_their_own_expiry_while_the_tour_goes_on(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        parent, (first, second, third) = tour(world.site, [(S.ASSIGNED, -5), (S.COMPLETED, -1), (S.ASSIGNED, 30)])

        assert autoclose.autoclose_tenant(moment()) == 1
        assert state(parent, first, second, third) == [
            (S.INPROGRESS, False),
            (S.AUTOCLOSED, False),
            (S.COMPLETED, False),
            (S.ASSIGNED, False),
        ]

        Job.objects.filter(pk=third.pk).update(status=S.COMPLETED)
        assert autoclose.autoclose_tenant(moment() + timedelta(minutes=31)) == 1
        assert state(parent, first, second, third) == [
            (S.PARTIALLY_COMPLETED, True),
            (S.AUTOCLOSED, False),
            (S.COMPLETED, False),
            (S.COMPLETED, False),
        ]


def test_an_open_stop_that_outlives_its_expired_tour_is_closed_with_it(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        parent, (done, late) = tour(world.site, [(S.COMPLETED, -20), (S.ASSIGNED, -10)])
        # The stop's own expiry lies ahead (data planned by an older rule): the tour's decides.
        Job.objects.filter(pk=late.pk).update(expires_at=moment() + timedelta(hours=1))
        assert autoclose.autoclose_tenant(moment()) == 2
        assert state(parent, done, late) == [(S.PARTIALLY_COMPLETED, True), (S.COMPLETED, False), (S.AUTOCLOSED, False)]


def test_a_tour_without_stops_is_autoclosed(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        empty, _ = tour(world.site, [], expires_in=-5)
        assert autoclose.autoclose_tenant(moment()) == 1
        assert state(empty) == [(S.AUTOCLOSED, True)]


def _mixed(site: Site) -> list[Job]:
    jobs: list[Job] = []
    for stops in (
        [(S.COMPLETED, -20), (S.ASSIGNED, -10), (S.ASSIGNED, -5)],
        [(S.ASSIGNED, -20), (S.ASSIGNED, -10)],
        [(S.COMPLETED, -20), (S.COMPLETED, -10)],
        [(S.ASSIGNED, -20), (S.ASSIGNED, 10)],  # still going
    ):
        parent, children = tour(site, stops)
        jobs += [parent, *children]
    jobs.append(job(site, expires_in=-3, kind="TASK"))
    jobs.append(job(site, expires_in=3, kind="TASK"))
    return jobs


EXPECTED_MIXED = [
    (S.PARTIALLY_COMPLETED, True), (S.COMPLETED, False), (S.AUTOCLOSED, False), (S.AUTOCLOSED, False),
    (S.AUTOCLOSED, True), (S.AUTOCLOSED, False), (S.AUTOCLOSED, False),
    (S.COMPLETED, False), (S.COMPLETED, False), (S.COMPLETED, False),
    (S.INPROGRESS, False), (S.AUTOCLOSED, False), (S.ASSIGNED, False),
    (S.AUTOCLOSED, True),
    (S.ASSIGNED, False),
]  # fmt: skip


def test_a_rerun_changes_nothing(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        jobs = _mixed(world.site)
        now = moment()
        assert autoclose.autoclose_tenant(now) == 9
        assert state(*jobs) == EXPECTED_MIXED
        versions = dict(Job.objects.values_list("pk", "version"))

        assert autoclose.autoclose_tenant(now) == 0
        assert state(*jobs) == EXPECTED_MIXED
        assert dict(Job.objects.values_list("pk", "version")) == versions


@pytest.mark.parametrize("done_steps", [1, 2, 3])
def test_a_run_interrupted_after_any_step_is_finished_by_the_next(
    tenant_a: Tenant, world: World, done_steps: int
) -> None:
    with tenant_context(tenant_a):
        jobs = _mixed(world.site)
        now = moment()
        first = autoclose.run_steps(autoclose.STEPS[:done_steps], now)  # then the worker died
        assert first > 0
        assert first + autoclose.autoclose_tenant(now) == 9
        assert state(*jobs) == EXPECTED_MIXED


def test_the_first_step_alone_closes_only_expired_stops(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        jobs = _mixed(world.site)
        assert autoclose.run_steps(autoclose.STEPS[:1], moment()) == 5
        assert [status for status, _ in state(*jobs)] == [
            S.INPROGRESS, S.COMPLETED, S.AUTOCLOSED, S.AUTOCLOSED,
            S.INPROGRESS, S.AUTOCLOSED, S.AUTOCLOSED,
            S.INPROGRESS, S.COMPLETED, S.COMPLETED,
            S.INPROGRESS, S.AUTOCLOSED, S.ASSIGNED,
            S.ASSIGNED,
            S.ASSIGNED,
        ]  # fmt: skip


def test_another_tenant_is_not_touched_and_the_all_tenants_run_counts(
    tenant_a: Tenant, tenant_b: Tenant, world: World
) -> None:
    with tenant_context(tenant_b):
        theirs = job(make_site("B1"), expires_in=-5)
    with tenant_context(tenant_a):
        ours = job(world.site, expires_in=-5)
        assert autoclose.autoclose_tenant(moment()) == 1
    with tenant_context(tenant_b):
        assert state(theirs) == [(S.ASSIGNED, False)]
    with tenant_context(tenant_a):
        job(world.site, expires_in=-5)

    run = autoclose.autoclose_all(moment())

    assert run.as_dict() == {
        "task": "scheduling.autoclose_jobs",
        "tenants": 2,
        "done": 2,
        "failed": {},
        "total": {"closed": 2},
        "results": {"alpha": {"closed": 1}, "bravo": {"closed": 1}},
    }
    with tenant_context(tenant_b):
        assert state(theirs) == [(S.AUTOCLOSED, True)]
    with tenant_context(tenant_a):
        assert state(ours) == [(S.AUTOCLOSED, True)]


def test_one_failing_tenant_does_not_stop_the_others(
    tenant_a: Tenant, tenant_b: Tenant, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tenant_context(tenant_b):
        theirs = job(make_site("B1"), expires_in=-5)
    with tenant_context(tenant_a):
        ours = job(world.site, expires_in=-5)
    real = autoclose.autoclose_tenant

    def broken(now: datetime | None = None) -> int:
        from apps.core import tenancy

        closed = real(now)
        if tenancy.current_tenant().id == tenant_a.pk:
            raise RuntimeError("database went away")
        return closed

    monkeypatch.setattr(autoclose, "autoclose_tenant", broken)
    with structlog.testing.capture_logs() as logs:
        run = autoclose.autoclose_all(moment())
    assert run.as_dict() == {
        "task": "scheduling.autoclose_jobs",
        "tenants": 2,
        "done": 1,
        "failed": {"alpha": "RuntimeError"},
        "total": {"closed": 1},
        "results": {"bravo": {"closed": 1}},
    }
    assert [(e["event"], e["tenant"]) for e in logs if e["log_level"] == "error"] == [("task.tenant_failed", "alpha")]
    with tenant_context(tenant_b):
        assert state(theirs) == [(S.AUTOCLOSED, True)]
    with tenant_context(tenant_a):
        # The failing tenant's run is one transaction: what it had closed is rolled back.
        assert state(ours) == [(S.ASSIGNED, False)]


# --- the miss report ------------------------------------------------------------------------


def alerts() -> list[tuple[str, str, str, str, int]]:
    return list(Alert.objects.order_by("pk").values_list("type", "severity", "dedupe_key", "title", "occurrences"))


def missed_mails() -> list[tuple[list[str], str]]:
    return [(message.to, str(message.subject)) for message in mail.outbox if "Missed" in message.subject]


def report(capture: Any, limit: int = 500) -> int:
    with capture(execute=True):
        return autoclose.report_missed_tenant(limit)


def test_a_missed_task_raises_a_task_missed_alert_and_nothing_else_by_default(
    tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a):
        rounds = schedule(world.site, name="Check the fire doors")
        missed = job(world.site, expires_in=-5, title="Check the fire doors", schedule=rounds, priority="LOW")
        autoclose.autoclose_tenant(moment())

        assert report(django_capture_on_commit_callbacks) == 1

        assert alerts() == [
            ("TASK_MISSED", "LOW", f"job_missed:schedule:{rounds.pk}", "Task missed: Check the fire doors", 1)
        ]
        alert = Alert.objects.get()
        assert (alert.site_id, alert.source_id, alert.status) == (world.site.pk, missed.pk, "NEW")
        assert alert.source_type == ContentType.objects.get_for_model(Job)
        assert alert.details == {
            "job_id": missed.pk,
            "schedule_id": rounds.pk,
            "kind": "TASK",
            "status": "AUTOCLOSED",
            "priority": "LOW",
            "plan_at": missed.plan_at.isoformat().replace("+00:00", "Z"),
            "expires_at": missed.expires_at.isoformat().replace("+00:00", "Z"),
            "occurrence_at": missed.plan_at.isoformat().replace("+00:00", "Z"),
        }
        assert state(missed) == [(S.AUTOCLOSED, False)]
        assert not Ticket.objects.exists()
        assert not NotificationLog.objects.filter(event="job.missed").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(("priority", "severity"), [("LOW", "LOW"), ("MEDIUM", "MEDIUM"), ("HIGH", "HIGH")])
def test_the_alert_severity_follows_the_job_priority(
    tenant_a: Tenant, world: World, priority: str, severity: str
) -> None:
    with tenant_context(tenant_a):
        adhoc = job(world.other_site, expires_in=-5, kind="PPM", title="Pump service", priority=priority)
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant() == 1
        assert alerts() == [
            ("TASK_MISSED", severity, f"job_missed:job:{adhoc.pk}", "Preventive maintenance missed: Pump service", 1)
        ]


def test_a_missed_tour_alerts_and_emails_the_in_charge_only(
    tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a):
        patrol = schedule(world.site, kind="INTERNAL_TOUR", name="Night patrol")
        parent, _ = tour(world.site, [(S.ASSIGNED, -20), (S.ASSIGNED, -10)], schedule=patrol, status=S.ASSIGNED)
        autoclose.autoclose_tenant(moment())

        assert report(django_capture_on_commit_callbacks) == 1

        assert alerts() == [
            ("TOUR_MISSED", "MEDIUM", f"job_missed:schedule:{patrol.pk}", "Tour missed: Night patrol", 1)
        ]
        alert = Alert.objects.get()
        assert (alert.details["stop_count"], alert.details["missed_stop_count"]) == (2, 2)
        assert "missed_stops" not in alert.details
        assert list(NotificationLog.objects.values_list("event", "person_id", "site_id", "status")) == [
            ("job.missed", world.in_charge.pk, world.site.pk, "SENT")
        ]
    assert missed_mails() == [(["incharge@example.com"], "Missed: Night patrol at North Gate")]
    body = mail.outbox[0].body
    local_plan = timezone.localtime(parent.plan_at, ZoneInfo("Asia/Dubai"))
    assert body.startswith(
        'Internal tour "Night patrol" at North Gate was not done in time. It was closed automatically.\n'
    )
    assert "Status:   Auto-closed\n" in body
    assert "Site:     North Gate (NORTH)\n" in body
    assert f"Planned:  {local_plan:%Y-%m-%d %H:%M} (Asia/Dubai)\n" in body
    assert "Stops:    2 of 2 missed\n" in body
    assert (
        f"\nThe job: {console_url()}/jobs/{parent.pk}/\n\nOpen it in Youtility: {console_url()}/noc/alerts/{alert.pk}/\n"
        in body
    )
    html = str(cast(EmailMultiAlternatives, mail.outbox[0]).alternatives[0][0])
    assert f'<a href="{console_url()}/jobs/{parent.pk}/">Open the job</a>' in html
    assert f'<a href="{console_url()}/noc/alerts/{alert.pk}/">Open it in Youtility</a>' in html


def test_a_partly_done_tour_raises_checkpoint_missed_listing_the_missed_stops(
    tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a):
        patrol = schedule(world.site, kind="INTERNAL_TOUR", name="Night patrol")
        tour(world.site, [(S.COMPLETED, -30), (S.ASSIGNED, -20), (S.COMPLETED, -10), (S.ASSIGNED, -5)], schedule=patrol)
        autoclose.autoclose_tenant(moment())
        assert report(django_capture_on_commit_callbacks) == 1

        assert alerts() == [
            (
                "CHECKPOINT_MISSED",
                "MEDIUM",
                f"job_missed:schedule:{patrol.pk}",
                "Checkpoints missed: Night patrol (2 of 4)",
                1,
            )
        ]
        details = Alert.objects.get().details
        assert details["status"] == "PARTIALLY_COMPLETED"
        assert details["missed_stops"] == ["Night patrol: CP2", "Night patrol: CP4"]
        assert (details["stop_count"], details["missed_stop_count"]) == (4, 2)
    assert missed_mails() == [(["incharge@example.com"], "Missed: Night patrol at North Gate (2 of 4 stops)")]
    body = mail.outbox[0].body
    assert body.startswith("A tour at North Gate was only partly done: 2 of 4 stops were missed.")
    assert "Missed stops:\n- Night patrol: CP2\n- Night patrol: CP4\n" in body
    html = str(cast(EmailMultiAlternatives, mail.outbox[0]).alternatives[0][0])
    assert "<li>Night patrol: CP2</li><li>Night patrol: CP4</li>" in html


def test_a_second_miss_of_the_same_schedule_counts_a_repeat(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        rounds = schedule(world.site, name="Gate check", priority="MEDIUM")
        first = job(world.site, expires_in=-90, title="Gate check", schedule=rounds)
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant() == 1
        second = job(world.site, expires_in=-5, title="Gate check", schedule=rounds, priority="HIGH")
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant() == 1

        # One open alert per schedule; the repeat raised the severity and carries the latest job.
        assert alerts() == [("TASK_MISSED", "HIGH", f"job_missed:schedule:{rounds.pk}", "Task missed: Gate check", 2)]
        assert Alert.objects.get().details["job_id"] == second.pk
        assert state(first, second) == [(S.AUTOCLOSED, False), (S.AUTOCLOSED, False)]


def test_the_tenant_policy_emails_and_raises_a_ticket_with_the_schedule_category(
    tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(
        settings={"scheduling": {"on_miss": {"TASK": {"email": True, "ticket": True}}}}
    )
    with tenant_context(tenant_a):
        rounds = schedule(world.site, name="Meter reading", ticket_category=world.category)
        missed = job(world.site, expires_in=-5, title="Meter reading", schedule=rounds, priority="HIGH")
        autoclose.autoclose_tenant(moment())

        assert report(django_capture_on_commit_callbacks) == 1

        ticket = Ticket.objects.get()
        assert (ticket.title, ticket.category_id, ticket.site_id, ticket.priority, ticket.dedupe_key) == (
            "Missed: Meter reading",
            world.category.pk,
            world.site.pk,
            "HIGH",
            f"job_missed:job:{missed.pk}",
        )
        assert (ticket.source, ticket.source_id) == ("SYSTEM", missed.pk)
        assert ticket.description.startswith("Task \u201cMeter reading\u201d at North Gate (NORTH) was planned for ")
        assert NotificationLog.objects.filter(event="job.missed").count() == 1
    assert missed_mails() == [(["incharge@example.com"], "Missed: Meter reading at North Gate")]
    assert f"Ticket:   {ticket.number}\n" in next(m for m in mail.outbox if m.subject.startswith("Missed")).body


def test_the_schedule_overrides_the_tenant_policy(
    tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a):
        quiet = schedule(world.site, kind="INTERNAL_TOUR", name="Quiet patrol", email_on_miss=False)
        loud = schedule(world.site, name="Loud task", email_on_miss=True, ticket_on_miss=True)
        tour(world.site, [(S.ASSIGNED, -10)], schedule=quiet, title="Quiet patrol")
        loud_job = job(world.site, expires_in=-5, title="Loud task", schedule=loud)
        autoclose.autoclose_tenant(moment())

        assert report(django_capture_on_commit_callbacks) == 2

        assert sorted(alert[0] for alert in alerts()) == ["TASK_MISSED", "TOUR_MISSED"]
        assert list(Ticket.objects.values_list("dedupe_key", "category_id")) == [
            (f"job_missed:job:{loud_job.pk}", None)
        ]
    assert missed_mails() == [(["incharge@example.com"], "Missed: Loud task at North Gate")]


def test_a_category_refused_by_the_helpdesk_still_gets_the_ticket_raised(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        department = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
        rounds = schedule(world.site, name="Meter reading", ticket_on_miss=True, ticket_category=department)
        missed = job(world.site, expires_in=-5, title="Meter reading", schedule=rounds)
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant() == 1
        assert list(Ticket.objects.values_list("source_id", "category_id")) == [(missed.pk, None)]
        assert state(missed) == [(S.AUTOCLOSED, False)]


def test_a_missed_dynamic_tour_gets_its_next_instance(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        patrol = make_tour(2, is_dynamic=True, cron="", site=world.site, name="Roving patrol")
        first = Job.objects.get(schedule=patrol, parent=None)
        Job.objects.filter(schedule=patrol).update(
            plan_at=moment() - timedelta(hours=2), expires_at=moment() - timedelta(hours=1)
        )
        assert autoclose.autoclose_tenant(moment()) == 3
        before = moment()
        assert autoclose.report_missed_tenant() == 1

        assert state(first) == [(S.AUTOCLOSED, False)]
        following = Job.objects.get(schedule=patrol, parent=None, status=S.ASSIGNED)
        assert following.origin == Job.Origin.DYNAMIC
        assert following.plan_at >= before
        assert Job.objects.filter(parent=following).count() == 2
        # Reported again (a flag set by hand), it plans nothing more: one open instance at a time.
        Job.objects.filter(pk=first.pk).update(miss_pending=True)
        assert autoclose.report_missed_tenant() == 1
        assert Job.objects.filter(schedule=patrol, parent=None).count() == 2


def test_no_in_charge_means_no_email(tenant_a: Tenant, world: World, django_capture_on_commit_callbacks: Any) -> None:
    with tenant_context(tenant_a):
        tour(world.other_site, [(S.ASSIGNED, -10)])
        autoclose.autoclose_tenant(moment())
        assert report(django_capture_on_commit_callbacks) == 1
        assert Alert.objects.get().type == "TOUR_MISSED"
        assert not NotificationLog.objects.exists()
    assert mail.outbox == []


def test_completed_work_and_open_work_are_not_reported(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        tour(world.site, [(S.COMPLETED, -10), (S.COMPLETED, -5)])
        job(world.site, expires_in=-5, status=S.COMPLETED)
        job(world.site, expires_in=5)
        autoclose.autoclose_tenant(moment())
        # A flag left on a job that is not missed (reopened by hand) is cleared, nothing raised.
        odd = job(world.site, expires_in=30, miss_pending=True)
        assert autoclose.report_missed_tenant() == 1
        assert not Alert.objects.exists()
        assert state(odd) == [(S.ASSIGNED, False)]


def test_the_limit_bounds_one_run_and_the_rest_waits(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        for n in range(3):
            job(world.other_site, expires_in=-5, title=f"Task {n}")
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant(limit=2) == 2
        assert Job.objects.filter(miss_pending=True).count() == 1
        assert autoclose.report_missed_tenant(limit=2) == 1
        assert autoclose.report_missed_tenant(limit=2) == 0
        assert Alert.objects.count() == 3


def test_a_failing_job_stays_pending_and_the_others_are_reported(
    tenant_a: Tenant, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = noc_services.raise_alert

    def flaky(**fields: Any) -> Alert:
        if "Broken" in fields["title"]:
            raise RuntimeError("boom")
        return real(**fields)

    monkeypatch.setattr(noc_services, "raise_alert", flaky)
    with tenant_context(tenant_a):
        broken = job(world.other_site, expires_in=-5, title="Broken task")
        fine = job(world.other_site, expires_in=-5, title="Fine task")
        autoclose.autoclose_tenant(moment())
        run = autoclose.report_missed_all(moment())
        assert (run.failed, run.total) == ({}, {"reported": 1, "failed": 1})
        assert state(broken, fine) == [(S.AUTOCLOSED, True), (S.AUTOCLOSED, False)]
        assert alerts() == [("TASK_MISSED", "MEDIUM", f"job_missed:job:{fine.pk}", "Task missed: Fine task", 1)]


def test_another_tenant_gets_nothing_and_the_all_tenants_run_reports_both(
    tenant_a: Tenant, tenant_b: Tenant, world: World
) -> None:
    with tenant_context(tenant_b):
        theirs = job(make_site("B1"), expires_in=-5, title="Their task")
        autoclose.autoclose_tenant(moment())
    with tenant_context(tenant_a):
        job(world.site, expires_in=-5, title="Our task")
        autoclose.autoclose_tenant(moment())
        assert autoclose.report_missed_tenant() == 1
        assert [alert[3] for alert in alerts()] == ["Task missed: Our task"]
    with tenant_context(tenant_b):
        assert not Alert.objects.exists()
        assert state(theirs) == [(S.AUTOCLOSED, True)]

    assert autoclose.report_missed_all(moment()).as_dict() == {
        "task": "scheduling.report_missed",
        "tenants": 2,
        "done": 2,
        "failed": {},
        "total": {"reported": 1, "failed": 0},
        "results": {"bravo": {"reported": 1, "failed": 0}},
    }
    with tenant_context(tenant_b):
        assert [alert[3] for alert in alerts()] == ["Task missed: Their task"]


def test_one_tenant_failing_its_report_does_not_stop_the_others(
    tenant_a: Tenant, tenant_b: Tenant, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tenant_context(tenant_b):
        theirs = job(make_site("B1"), expires_in=-5, title="Their task")
        autoclose.autoclose_tenant(moment())
    real = autoclose._report_tenant

    def broken(limit: int) -> tuple[int, int]:
        from apps.core import tenancy

        if tenancy.current_tenant().id == tenant_a.pk:
            raise RuntimeError("database went away")
        return real(limit)

    monkeypatch.setattr(autoclose, "_report_tenant", broken)
    with structlog.testing.capture_logs() as logs:
        run = autoclose.report_missed_all(moment())
    assert run.as_dict() == {
        "task": "scheduling.report_missed",
        "tenants": 2,
        "done": 1,
        "failed": {"alpha": "RuntimeError"},
        "total": {"reported": 1, "failed": 0},
        "results": {"bravo": {"reported": 1, "failed": 0}},
    }
    assert [(e["event"], e["tenant"]) for e in logs if e["log_level"] == "error"] == [("task.tenant_failed", "alpha")]
    with tenant_context(tenant_b):
        assert state(theirs) == [(S.AUTOCLOSED, False)]


# --- the policy -----------------------------------------------------------------------------


def test_on_miss_policy_defaults_and_tenant_values() -> None:
    assert autoclose.on_miss_policy("INTERNAL_TOUR", {}) == {"email": True, "ticket": False}
    assert autoclose.on_miss_policy("EXTERNAL_TOUR", {}) == {"email": True, "ticket": False}
    for kind in ("TASK", "PPM", "SITE_REPORT"):
        assert autoclose.on_miss_policy(kind, {}) == {"email": False, "ticket": False}
    configured = {
        "scheduling": {"on_miss": {"PPM": {"email": True, "ticket": True}, "INTERNAL_TOUR": {"email": False}}}
    }
    assert autoclose.on_miss_policy("PPM", configured) == {"email": True, "ticket": True}
    assert autoclose.on_miss_policy("INTERNAL_TOUR", configured) == {"email": False, "ticket": False}
    assert autoclose.on_miss_policy("TASK", configured) == {"email": False, "ticket": False}


@pytest.mark.parametrize(
    "tenant_settings",
    [
        None,
        [],
        {"scheduling": "yes"},
        {"scheduling": {"on_miss": ["TASK"]}},
        {"scheduling": {"on_miss": {"INTERNAL_TOUR": True}}},
        {"scheduling": {"on_miss": {"INTERNAL_TOUR": {"email": "no", "ticket": 1}}}},
        {"scheduling": {"on_miss": {"INTERNAL_TOUR": {"email": None, "ticket": "true"}}}},
    ],
)
def test_invalid_policy_values_are_ignored(tenant_settings: Any) -> None:
    given = tenant_settings if tenant_settings is not None else {}
    assert autoclose.on_miss_policy("INTERNAL_TOUR", given) == {"email": True, "ticket": False}


def test_on_miss_policy_reads_the_tenant_in_context(tenant_a: Tenant) -> None:
    Tenant.objects.filter(pk=tenant_a.pk).update(settings={"scheduling": {"on_miss": {"TASK": {"ticket": True}}}})
    with tenant_context(tenant_a):
        assert autoclose.on_miss_policy("TASK") == {"email": False, "ticket": True}


# --- overlapping runs (real threads, own connections) ---------------------------------------

WORKERS = 4


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_close_and_report_each_job_once(tenant_a: Tenant, world: World) -> None:
    with tenant_context(tenant_a):
        patrol = schedule(world.site, kind="INTERNAL_TOUR", name="Night patrol")
        jobs = []
        for n in range(6):
            parent, children = tour(
                world.site,
                [(S.COMPLETED, -30), (S.ASSIGNED, -20)] if n % 2 else [(S.ASSIGNED, -20)],
                schedule=patrol,
                occurrence_at=moment() - timedelta(hours=n + 1),
            )
            jobs += [parent, *children]
        for n in range(12):
            jobs.append(job(world.other_site, expires_in=-5, title=f"Task {n}"))
    now = moment()

    closed = run_together(tenant_a, *[lambda: autoclose.autoclose_tenant(now)] * WORKERS)
    assert [kind for kind, _ in closed] == ["ok"] * WORKERS, closed
    assert sum(value for _, value in closed) == 6 + 6 + 12  # tours, their open stops, tasks

    reported = run_together(tenant_a, *[lambda: autoclose.report_missed_tenant()] * WORKERS)
    assert [kind for kind, _ in reported] == ["ok"] * WORKERS, reported
    assert sum(value for _, value in reported) == 18
    with tenant_context(tenant_a):
        assert not Job.objects.filter(miss_pending=True).exists()
        # 12 ad-hoc task alerts, and one alert for the patrol schedule that counted 6 misses.
        assert Alert.objects.filter(dedupe_key__startswith="job_missed:job:").count() == 12
        assert Alert.objects.get(dedupe_key=f"job_missed:schedule:{patrol.pk}").occurrences == 6
        assert NotificationLog.objects.filter(event="job.missed").count() == 6
