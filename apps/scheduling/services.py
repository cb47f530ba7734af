"""Writes of schedules: validate, act in one transaction, plan the jobs.

Every door (REST, GraphQL, admin, demo) calls these; the rules live here and in
``checks``:

- a schedule is checked as a whole on every save (the merged result of a partial
  update), so an edit can never leave a schedule that would plan wrong work: a cron of
  five fields that fires within the validity period, a site (a site group for external
  tours) the actor may see, stops at active checkpoints of that site (1..200, an external
  tour's sites x rounds too), checklists of the kinds ``checks.CHECKLIST_KINDS`` allows,
  an asset of the site for maintenance, one assignee who may work at every site of it;
- saving plans at once, in the same transaction: the schedule's future unstarted jobs
  are replaced (``generation.replace_future_jobs``); a dynamic tour gets its one open
  instance; disabling removes the future unstarted jobs and plans nothing;
- jobs themselves (ad hoc, start, complete) are written by ``jobs``, re-exported here.

``actor`` is the person acting; None is the system (demo, tasks), which passes every
permission and site-scope check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from apps.audit import services as changelog
from apps.core import tenancy
from apps.sites.models import Site
from apps.tenants.selectors import active_tenant

from . import checks, cron, generation
from .checks import StopSpec
from .errors import fail

# Job writes live in ``jobs``; the doors import them from here, with the schedule writes.
from .jobs import complete_job, create_adhoc_job, may_perform, start_job
from .models import TOUR_KINDS, Job, Kind, Reminder, Schedule, ScheduleStop

MAX_PREVIEW = 100

# Fields a caller may set; anything else is refused rather than silently ignored.
WRITABLE = (
    "name",
    "kind",
    "site",
    "site_group",
    "cron",
    "valid_from",
    "valid_until",
    "duration_minutes",
    "grace_minutes",
    "assignee_person",
    "assignee_team",
    "priority",
    "scan_type",
    "checklist",
    "asset",
    "is_dynamic",
    "random_order",
    "rounds",
    "break_minutes",
    "travel_minutes",
    "reminder_offsets",
    "notify_person_ids",
    "email_on_miss",
    "ticket_on_miss",
    "ticket_category",
    "is_active",
)
_REFERENCES = ("site", "site_group", "assignee_person", "assignee_team", "checklist", "asset", "ticket_category")


# --- checking a whole schedule ---------------------------------------------------------------


@dataclass
class Checked:
    """A schedule's fields after every check, ready to be written, and what planning needs."""

    values: dict[str, Any]
    stops: list[StopSpec]
    site_ids: list[int]
    timezone: str


def tenant_timezone() -> str:
    tenant = active_tenant(tenancy.current_tenant().id)
    return tenant.timezone if tenant is not None else "UTC"


def schedule_timezone(schedule_or_fields: Schedule | dict[str, Any]) -> str:
    """The zone a schedule's cron is evaluated in: its site's, or (external tours) the tenant's.

    Takes a saved schedule or the fields of one not yet saved (``site`` as a row or an id).
    """
    if isinstance(schedule_or_fields, Schedule):
        site: Any = schedule_or_fields.site if schedule_or_fields.site_id is not None else None
    else:
        site = schedule_or_fields.get("site")
        if site is not None and not isinstance(site, Site):
            site = Site.objects.filter(pk=checks.as_id(site, "site", "unknown_site")).first()
    return site.timezone if site is not None else tenant_timezone()


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in WRITABLE:
        field = Schedule._meta.get_field(name)
        assert isinstance(field, models.Field)
        values[name] = None if name in _REFERENCES else field.get_default()
    values["cron"] = ""
    return values


def _current(schedule: Schedule) -> dict[str, Any]:
    return {name: getattr(schedule, f"{name}_id" if name in _REFERENCES else name) for name in WRITABLE}


def _existing_stops(schedule: Schedule) -> list[dict[str, Any]]:
    return [
        {
            "checkpoint": stop.checkpoint_id,
            "checklist": stop.checklist_id,
            "offset_minutes": stop.offset_minutes,
            "duration_minutes": stop.duration_minutes,
            "grace_minutes": stop.grace_minutes,
        }
        for stop in ScheduleStop.objects.filter(schedule=schedule).order_by("position")
    ]


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(WRITABLE))
    if unknown:
        raise fail("unknown_fields", f"Unknown fields: {', '.join(unknown)}.", unknown[0], fields=unknown)


def check_schedule(actor: Any, data: dict[str, Any], stops: Any, now: datetime) -> Checked:
    """Check every field of a schedule (merged, complete ``data``) and its ``stops``."""
    kind = checks.clean_kind(data["kind"])
    name = checks.clean_text(data["name"], "name", checks.MAX_NAME_LENGTH, required=True)
    site = None
    site_group = None
    if kind == Kind.EXTERNAL_TOUR:
        if data["site"] is not None:
            raise fail("value_invalid", "An external tour visits the sites of its site group; it has no site.", "site")
        if data["site_group"] is None:
            raise fail("site_group_required", "An external tour needs a site group to visit.", "site_group")
        route = checks.clean_site_group(actor, data["site_group"])
        site_group, site_ids = route.group, route.site_ids
    else:
        if data["site"] is None:
            raise fail(
                "site_required", f"{checks.article(Kind(kind).label.lower()).capitalize()} needs a site.", "site"
            )
        if data["site_group"] is not None:
            raise fail("value_invalid", "Only external tours have a site group.", "site_group")
        site = checks.clean_site(actor, data["site"])
        site_ids = [site.pk]

    is_dynamic = bool(checks.clean_flag(data["is_dynamic"], "is_dynamic"))
    if is_dynamic and kind not in TOUR_KINDS:
        raise fail("dynamic_not_tour", "Only tours can be dynamic.", "is_dynamic")
    expr = data["cron"] if data["cron"] is not None else ""
    if is_dynamic:
        if not isinstance(expr, str) or expr.strip():
            raise fail("cron_invalid", "A dynamic tour has no cron: completing one instance plans the next.", "cron")
        expr = ""
    else:
        expr = cron.validate_cron(expr)
    valid_from, valid_until = checks.clean_validity(data["valid_from"], data["valid_until"])

    duration = checks.whole_number(data["duration_minutes"], "duration_minutes", checks.DURATION)
    grace = checks.whole_number(data["grace_minutes"], "grace_minutes", checks.GRACE)
    rounds = checks.whole_number(data["rounds"], "rounds", checks.ROUNDS)
    break_minutes = checks.whole_number(data["break_minutes"], "break_minutes", checks.BREAK)
    travel_minutes = checks.whole_number(data["travel_minutes"], "travel_minutes", checks.TRAVEL)
    random_order = checks.clean_flag(data["random_order"], "random_order")
    priority = checks.clean_priority(data["priority"])
    scan_type = checks.clean_scan_type(data["scan_type"])
    checklist = checks.clean_checklist(data["checklist"], kind)

    asset = None
    if kind == Kind.PPM:
        if data["asset"] is None:
            raise fail("asset_required", "Preventive maintenance needs the asset to maintain.", "asset")
        assert site is not None
        asset = checks.clean_asset(data["asset"], site)
    elif data["asset"] is not None:
        if kind != Kind.TASK:
            raise fail("value_invalid", "Only tasks and maintenance schedules take an asset.", "asset")
        assert site is not None
        asset = checks.clean_asset(data["asset"], site)

    reminders = checks.clean_reminder_offsets(data["reminder_offsets"])
    if reminders and kind != Kind.PPM:
        raise fail("value_invalid", "Only maintenance (PPM) schedules send reminders.", "reminder_offsets")

    specs: list[StopSpec] = []
    if kind == Kind.INTERNAL_TOUR:
        assert site is not None
        specs = checks.clean_stops(stops, site)
    elif stops:
        where = "the sites of its site group" if kind == Kind.EXTERNAL_TOUR else "none"
        raise fail(
            "value_invalid",
            f"Only internal tours have stops; {checks.article(Kind(kind).label.lower())} has {where}.",
            "stops",
        )
    if kind == Kind.EXTERNAL_TOUR:
        checks.check_stop_count(len(site_ids) * rounds, "site_group")

    person, team = checks.clean_assignee(data["assignee_person"], data["assignee_team"], site_ids)
    notify = checks.clean_notify_people(data["notify_person_ids"])
    email_on_miss = checks.clean_flag(data["email_on_miss"], "email_on_miss", nullable=True)
    ticket_on_miss = checks.clean_flag(data["ticket_on_miss"], "ticket_on_miss", nullable=True)
    category = checks.clean_category(data["ticket_category"])
    is_active = checks.clean_flag(data["is_active"], "is_active")

    tz = site.timezone if site is not None else tenant_timezone()
    if not is_dynamic:
        start = max(now, valid_from)
        if not cron.next_occurrences(expr, tz, start, 1, until=valid_until):
            raise fail(
                "cron_never_fires",
                f"{expr!r} does not fire between {start.isoformat()} and "
                f"{valid_until.isoformat() if valid_until else 'the end of time'} ({tz}).",
                "cron",
                timezone=tz,
            )

    values = {
        "name": name,
        "kind": kind,
        "site": site,
        "site_group": site_group,
        "cron": expr,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "duration_minutes": duration,
        "grace_minutes": grace,
        "assignee_person": person,
        "assignee_team": team,
        "priority": priority,
        "scan_type": scan_type,
        "checklist": checklist,
        "asset": asset,
        "is_dynamic": is_dynamic,
        "random_order": random_order,
        "rounds": rounds,
        "break_minutes": break_minutes,
        "travel_minutes": travel_minutes,
        "reminder_offsets": reminders,
        "notify_person_ids": notify,
        "email_on_miss": email_on_miss,
        "ticket_on_miss": ticket_on_miss,
        "ticket_category": category,
        "is_active": is_active,
    }
    return Checked(values=values, stops=specs, site_ids=site_ids, timezone=tz)


# --- planning ------------------------------------------------------------------------------------


def _unstarted_dynamic(schedule: Schedule) -> Any:
    """The open instances of a dynamic tour nobody has started (no stop touched either)."""
    touched = Job.objects.filter(schedule=schedule, parent__isnull=False).exclude(status=Job.Status.ASSIGNED)
    return Job.objects.filter(
        schedule=schedule,
        parent__isnull=True,
        origin=Job.Origin.DYNAMIC,
        status=Job.Status.ASSIGNED,
        started_at__isnull=True,
    ).exclude(pk__in=touched.values("parent_id"))


def _plan(schedule: Schedule, now: datetime) -> None:
    """Make the schedule's future jobs match it (inside the caller's transaction).

    A dynamic tour's open instance is planned at the time it was due, so it is in the past
    at once; until someone starts it, it is still future work and goes like the rest.
    """
    unstarted = list(_unstarted_dynamic(schedule).values_list("pk", flat=True))
    if unstarted:
        # Per-row entries of the tour, its stops and reminders would repeat one decision.
        with changelog.quiet(Job, Reminder):
            removed = Job.objects.filter(pk__in=unstarted).delete()[1].get(Job._meta.label, 0)
        changelog.record_bulk(
            Job,
            changelog.Action.BULK_DELETE,
            count=removed,
            ids=unstarted,
            related=schedule,
            summary=f"{removed} jobs of the open instance removed",
        )
    if schedule.is_active and not schedule.is_dynamic:
        generation.replace_future_jobs(schedule, now=now)
        return
    generation.remove_future_jobs(schedule, now=now)
    if schedule.is_active:
        generation.plan_next_instance(schedule, now)


def _write_stops(schedule: Schedule, specs: list[StopSpec]) -> None:
    with changelog.quiet(ScheduleStop):
        removed = ScheduleStop.objects.filter(schedule=schedule).delete()[0]
    created = ScheduleStop.objects.bulk_create(
        [
            ScheduleStop(
                tenant_id=schedule.tenant_id,
                schedule=schedule,
                position=spec.position,
                checkpoint=spec.checkpoint,
                checklist=spec.checklist,
                offset_minutes=spec.offset_minutes,
                duration_minutes=spec.duration_minutes,
                grace_minutes=spec.grace_minutes,
                created_by_id=schedule.modified_by_id,
                modified_by_id=schedule.modified_by_id,
            )
            for spec in specs
        ]
    )
    changelog.record_replaced(
        ScheduleStop, removed=removed, created=[stop.pk for stop in created], related=schedule, what="stops"
    )


# --- schedules -------------------------------------------------------------------------------------


def create_schedule(actor: Any, *, stops: list[dict[str, Any]] | None = None, **fields: Any) -> Schedule:
    """Check and save a schedule (and its stops), then plan its jobs, in one transaction.

    ``fields`` are model field names; references (``site``, ``site_group``,
    ``assignee_person``, ``assignee_team``, ``checklist``, ``asset``, ``ticket_category``)
    are rows or ids. ``stops`` (internal tours): dicts of ``checkpoint``, ``checklist``,
    ``offset_minutes``, ``duration_minutes``, ``grace_minutes``, in order.
    """
    checks.require_manage(actor)
    _check_fields(fields)
    now = timezone.now()
    data = {**_defaults(), **fields}
    with checks.atomic():
        checked = check_schedule(actor, data, stops, now)
        schedule = Schedule(**checked.values)
        schedule.save()
        if checked.stops:
            _write_stops(schedule, checked.stops)
        _plan(schedule, now)
    return schedule


def update_schedule(
    actor: Any, schedule: Schedule, *, stops: list[dict[str, Any]] | None = None, **fields: Any
) -> Schedule:
    """Change the given fields (``stops`` given: replace all stops; None: keep them), check the
    result as a whole, and replace the schedule's future unstarted jobs.

    ``schedule`` comes from ``selectors.get_schedule_for``. The kind never changes.
    """
    checks.require_manage(actor)
    _check_fields(fields)
    now = timezone.now()
    with checks.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if "kind" in fields and fields["kind"] != locked.kind:
            raise fail(
                "kind_invalid", f"A schedule's kind does not change (it is {locked.kind}); create a new one.", "kind"
            )
        data = {**_current(locked), **fields}
        stop_input = (
            stops if stops is not None else (_existing_stops(locked) if locked.kind == Kind.INTERNAL_TOUR else None)
        )
        checked = check_schedule(actor, data, stop_input, now)
        for name, value in checked.values.items():
            setattr(locked, name, value)
        locked.generated_until = None
        locked.save()
        if stops is not None and locked.kind == Kind.INTERNAL_TOUR:
            _write_stops(locked, checked.stops)
        _plan(locked, now)
    return locked


def disable_schedule(actor: Any, schedule: Schedule) -> Schedule:
    """Stop planning: remove the future unstarted jobs; started and finished ones stay. Idempotent."""
    checks.require_manage(actor)
    now = timezone.now()
    with checks.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if locked.is_active:
            locked.is_active = False
            locked.save(update_fields=["is_active", "modified_at", "modified_by"])
        _plan(locked, now)
    return locked


def enable_schedule(actor: Any, schedule: Schedule) -> Schedule:
    """Plan again from now, after checking the schedule as it stands (its assignee may have
    moved, its asset been scrapped...). Idempotent."""
    checks.require_manage(actor)
    now = timezone.now()
    with checks.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        data = {**_current(locked), "is_active": True}
        stop_input = _existing_stops(locked) if locked.kind == Kind.INTERNAL_TOUR else None
        check_schedule(actor, data, stop_input, now)
        if not locked.is_active:
            locked.is_active = True
            locked.generated_until = None
            locked.save(update_fields=["is_active", "generated_until", "modified_at", "modified_by"])
        _plan(locked, now)
    return locked


# --- occurrences ------------------------------------------------------------------------------------


def _occurrences(
    expr: str, tz: str, start: datetime, until: datetime | None, count: int, span: timedelta
) -> list[dict[str, Any]]:
    return [{"plan_at": at, "expires_at": at + span} for at in cron.next_occurrences(expr, tz, start, count, until)]


def _count(count: Any) -> int:
    return checks.whole_number(count, "count", (1, MAX_PREVIEW))


def _span(values: dict[str, Any], specs: list[StopSpec], site_ids: list[int]) -> timedelta:
    return checks.tour_span(
        kind=values["kind"],
        duration=values["duration_minutes"],
        grace=values["grace_minutes"],
        stops=specs,
        visits=len(site_ids) * values["rounds"],
        sites_per_round=len(site_ids),
        travel=values["travel_minutes"],
        break_minutes=values["break_minutes"],
    )


def preview_occurrences(actor: Any, *, count: int = 10, **fields: Any) -> list[dict[str, Any]]:
    """The next ``count`` (1..100) occurrences of a schedule not yet saved, from
    max(now, valid_from): ``{"plan_at", "expires_at"}`` in UTC. Checked like a create;
    nothing is written. A dynamic tour has none (its instances follow completions)."""
    checks.require_manage(actor)
    stops = fields.pop("stops", None)
    _check_fields(fields)
    count = _count(count)
    now = timezone.now()
    checked = check_schedule(actor, {**_defaults(), **fields}, stops, now)
    values = checked.values
    if values["is_dynamic"]:
        return []
    span = _span(values, checked.stops, checked.site_ids)
    return _occurrences(
        values["cron"], checked.timezone, max(now, values["valid_from"]), values["valid_until"], count, span
    )


def schedule_occurrences(schedule: Schedule, count: int = 10) -> list[dict[str, Any]]:
    """The next ``count`` (1..100) occurrences of a saved schedule from max(now, valid_from),
    whether or not it is active (nothing for a dynamic tour)."""
    count = _count(count)
    if schedule.is_dynamic or not schedule.cron:
        return []
    now = timezone.now()
    specs = [
        StopSpec(
            position=stop.position,
            checkpoint=stop.checkpoint,
            checklist=None,
            offset_minutes=stop.offset_minutes,
            duration_minutes=stop.duration_minutes,
            grace_minutes=stop.grace_minutes,
        )
        for stop in ScheduleStop.objects.filter(schedule=schedule).select_related("checkpoint").order_by("position")
    ]
    if schedule.site_group_id is not None:
        site_ids = checks.group_site_ids(schedule.site_group_id)
    else:
        site_ids = [schedule.site_id] if schedule.site_id is not None else []
    values = {
        "kind": schedule.kind,
        "duration_minutes": schedule.duration_minutes,
        "grace_minutes": schedule.grace_minutes,
        "rounds": schedule.rounds,
        "travel_minutes": schedule.travel_minutes,
        "break_minutes": schedule.break_minutes,
    }
    span = _span(values, specs, site_ids)
    start = max(now, schedule.valid_from)
    return _occurrences(schedule.cron, schedule_timezone(schedule), start, schedule.valid_until, count, span)


__all__ = [
    "complete_job",
    "create_adhoc_job",
    "create_schedule",
    "disable_schedule",
    "enable_schedule",
    "may_perform",
    "preview_occurrences",
    "schedule_occurrences",
    "start_job",
    "update_schedule",
]
