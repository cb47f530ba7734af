"""Checks of schedule and job input shared by the services.

Each check raises a ``ScheduleError`` with a stable code and ``details["field"]`` naming
the input at fault, and writes nothing. References (site, checklist, asset, people) are
looked up in the tenant in context; one that does not exist there is ``unknown_<thing>``,
exactly like one of another tenant.

Messages name a referenced row by the id the caller sent, or by what the caller may see
(their own sites): a person, team, asset or checkpoint may live outside the caller's
scope, and an error must not tell them its name or code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.assets.models import Asset
from apps.checklists.models import Checklist
from apps.core import tenancy
from apps.core.errors import PermissionDenied
from apps.people.models import Person, Team
from apps.sites.models import Site, SiteGroup, SiteGroupMember
from apps.sites.selectors import sees_all_sites, site_groups_for, sites_for
from apps.tenants.models import Lookup

from .errors import fail
from .models import Kind, Priority, ScanType

#: The capability that plans work: schedules and ad-hoc jobs.
MANAGE = "schedules.manage"
MAX_STOPS = 200
MAX_NAME_LENGTH = 200
MAX_CRON_LENGTH = 120
MAX_REMARKS_LENGTH = 4000
MAX_NOTIFY_PEOPLE = 20

# (low, high) of every number a schedule, a stop or an ad-hoc job takes, in minutes or counts.
DURATION = (1, 10080)
GRACE = (0, 10080)
STOP_OFFSET = (0, 1440)
ROUNDS = (1, 3)
BREAK = (0, 1440)
TRAVEL = (0, 1440)
REMINDER_OFFSET = (1, 43200)
MAX_REMINDERS = 5

#: The checklist kinds each schedule kind may use (a tour's stops take CHECKLIST only).
CHECKLIST_KINDS: dict[str, tuple[str, ...]] = {
    Kind.TASK: (Checklist.Kind.CHECKLIST, Checklist.Kind.ASSET_AUDIT),
    Kind.INTERNAL_TOUR: (Checklist.Kind.CHECKLIST,),
    Kind.EXTERNAL_TOUR: (Checklist.Kind.CHECKLIST,),
    Kind.PPM: (Checklist.Kind.ASSET_MAINTENANCE, Checklist.Kind.CHECKLIST),
    Kind.SITE_REPORT: (Checklist.Kind.SITE_REPORT,),
}
STOP_CHECKLIST_KINDS = (Checklist.Kind.CHECKLIST,)

#: Kinds done at one site (``site`` required); an external tour has a site group instead.
SITE_KINDS = (Kind.TASK, Kind.SITE_REPORT, Kind.PPM, Kind.INTERNAL_TOUR)


# --- plain values ----------------------------------------------------------------------------


def as_id(value: Any, field: str, code: str) -> int:
    """The primary key of ``value`` (a row or an id); ``code`` when it is neither."""
    if isinstance(value, models.Model):
        value = value.pk
    if isinstance(value, bool) or not str(value).isdigit():
        raise fail(code, f"{field} must be an id.", field)
    return int(value)


def whole_number(value: Any, field: str, bounds: tuple[int, int]) -> int:
    """An integer within ``bounds`` (inclusive): ``value_out_of_range`` otherwise."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(
            "value_out_of_range",
            f"{field} must be a whole number from {low} to {high}.",
            field,
            min=low,
            max=high,
        )
    return value


def optional_number(value: Any, field: str, bounds: tuple[int, int]) -> int | None:
    return None if value is None else whole_number(value, field, bounds)


def clean_text(value: Any, field: str, limit: int, *, required: bool) -> str:
    """Trimmed text of at most ``limit`` characters, without NUL."""
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        raise fail("value_invalid", f"{field} must be text.", field)
    value = value.strip()
    if required and not value:
        raise fail("value_required", f"A {field} is required.", field)
    if len(value) > limit:
        raise fail(
            "value_out_of_range",
            f"{field} is {len(value)} characters long; at most {limit} are allowed.",
            field,
            max_length=limit,
        )
    return value


def clean_choice(value: Any, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise fail("value_invalid", f"{value!r} is not a valid {field}.", field, choices=list(choices))
    return str(value)


def clean_kind(value: Any) -> str:
    if value not in Kind.values:
        raise fail("kind_invalid", f"{value!r} is not a schedule kind.", "kind", choices=list(Kind.values))
    return str(value)


def clean_priority(value: Any) -> str:
    return clean_choice(value, "priority", Priority.values)


def clean_scan_type(value: Any) -> str:
    return clean_choice(value, "scan_type", ScanType.values)


def clean_flag(value: Any, field: str, *, nullable: bool = False) -> bool | None:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise fail("value_invalid", f"{field} must be true or false{' or null' if nullable else ''}.", field)
    return value


def clean_datetime(value: Any, field: str, *, required: bool) -> datetime | None:
    """An aware datetime (or ISO 8601 text with an offset); None only when not required."""
    if value is None or value == "":
        if required:
            raise fail("value_required", f"{field} is required.", field)
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise fail("value_invalid", f"{field} must be an ISO 8601 date-time.", field)
        value = parsed
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise fail("value_invalid", f"{field} must be a date-time with a time zone.", field)
    return value


def clean_validity(valid_from: Any, valid_until: Any) -> tuple[datetime, datetime | None]:
    start = clean_datetime(valid_from, "valid_from", required=True)
    end = clean_datetime(valid_until, "valid_until", required=False)
    assert start is not None
    if end is not None and end <= start:
        raise fail(
            "validity_invalid",
            f"valid_until ({end.isoformat()}) must be after valid_from ({start.isoformat()}).",
            "valid_until",
        )
    return start, end


def clean_reminder_offsets(value: Any) -> list[int]:
    """At most five distinct offsets of 1..43200 minutes, largest (earliest reminder) first."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise fail("value_invalid", "reminder_offsets must be a list of minutes.", "reminder_offsets")
    offsets = [whole_number(item, "reminder_offsets", REMINDER_OFFSET) for item in value]
    distinct = sorted(set(offsets), reverse=True)
    if len(distinct) > MAX_REMINDERS:
        raise fail(
            "value_out_of_range",
            f"At most {MAX_REMINDERS} reminders; {len(distinct)} were given.",
            "reminder_offsets",
            max=MAX_REMINDERS,
        )
    return distinct


def article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


# --- references ------------------------------------------------------------------------------


def clean_site(actor: Any, value: Any) -> Site:
    """An active site the actor may see (any site of the tenant for the system)."""
    pk = as_id(value, "site", "unknown_site")
    sites = Site.objects.all() if actor is None else sites_for(actor)
    site = sites.filter(pk=pk, is_active=True).first()
    if site is None:
        raise fail("unknown_site", f"Site {pk} does not exist, is inactive or is not one of yours.", "site")
    return site


@dataclass(frozen=True)
class Route:
    """An external tour's site group and its active sites in member order."""

    group: SiteGroup
    site_ids: list[int]


def group_site_ids(group_id: int) -> list[int]:
    return list(
        SiteGroupMember.objects.filter(group_id=group_id, site__is_active=True)
        .order_by("position", "pk")
        .values_list("site_id", flat=True)
    )


def clean_site_group(actor: Any, value: Any) -> Route:
    """An active site group the actor may see, with at least one active site, all of them
    among the actor's sites."""
    pk = as_id(value, "site_group", "unknown_site_group")
    groups = SiteGroup.objects.all() if actor is None else site_groups_for(actor)
    group = groups.filter(pk=pk, is_active=True).first()
    if group is None:
        raise fail("unknown_site_group", f"Site group {pk} does not exist or is not one of yours.", "site_group")
    site_ids = group_site_ids(group.pk)
    if not site_ids:
        raise fail("site_group_required", f"Site group {group.code} has no active site to visit.", "site_group")
    if actor is not None and not sees_all_sites(actor):
        visible = set(sites_for(actor).filter(pk__in=site_ids).values_list("pk", flat=True))
        if visible != set(site_ids):
            raise fail("unknown_site_group", f"Site group {group.code} has sites that are not yours.", "site_group")
    return Route(group=group, site_ids=site_ids)


def clean_checklist(
    value: Any, kind: str, field: str = "checklist", *, allowed: Sequence[str] = (), what: str = ""
) -> Checklist | None:
    """An active, published checklist of a kind the schedule kind allows (``checklist_wrong_kind``)."""
    if value is None:
        return None
    pk = as_id(value, field, "unknown_checklist")
    checklist = Checklist.objects.filter(pk=pk, is_active=True, current_version__isnull=False).first()
    if checklist is None:
        raise fail("unknown_checklist", f"Checklist {pk} does not exist, is inactive or unpublished.", field)
    allowed = [str(choice) for choice in (allowed or CHECKLIST_KINDS[kind])]
    if checklist.kind not in allowed:
        raise fail(
            "checklist_wrong_kind",
            f"Checklist {checklist.code} is of kind {checklist.kind}; "
            f"{what or article(Kind(kind).label.lower())} takes {' or '.join(allowed)}.",
            field,
            kind=checklist.kind,
            allowed=allowed,
        )
    return checklist


def clean_asset(value: Any, site: Site, *, field: str = "asset") -> Asset:
    """An asset (kind ASSET) of ``site`` that is neither scrapped nor inactive."""
    pk = as_id(value, field, "asset_required")
    asset = Asset.objects.filter(pk=pk).first()
    if asset is None:
        raise fail("asset_required", f"Asset {pk} does not exist.", field)
    if asset.kind != Asset.Kind.ASSET:
        raise fail("asset_required", f"Asset {pk} is a checkpoint, not an asset.", field)
    if asset.site_id != site.pk:
        raise fail("asset_wrong_site", f"Asset {pk} is not at site {site.code}.", field)
    if asset.status == Asset.Status.SCRAPPED or not asset.is_active:
        state = "scrapped" if asset.status == Asset.Status.SCRAPPED else "inactive"
        raise fail("asset_scrapped", f"Asset {asset.code} is {state}; no work is planned on it.", field)
    return asset


def clean_category(value: Any) -> Lookup | None:
    if value is None:
        return None
    pk = as_id(value, "ticket_category", "unknown_category")
    lookup = Lookup.objects.filter(pk=pk).first()
    if lookup is None:
        raise fail("unknown_category", f"Category {pk} does not exist.", "ticket_category")
    if lookup.kind != Lookup.Kind.TICKET_CATEGORY:
        raise fail("value_invalid", f"Lookup {lookup.code} is not a ticket category.", "ticket_category")
    return lookup


def clean_notify_people(value: Any) -> list[int]:
    """Ids of active people of the tenant (at most 20), in the order given, without repeats."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise fail("value_invalid", "notify_person_ids must be a list of ids.", "notify_person_ids")
    ids = list(dict.fromkeys(as_id(item, "notify_person_ids", "unknown_person") for item in value))
    if len(ids) > MAX_NOTIFY_PEOPLE:
        raise fail(
            "value_out_of_range",
            f"At most {MAX_NOTIFY_PEOPLE} people may be notified.",
            "notify_person_ids",
            max=MAX_NOTIFY_PEOPLE,
        )
    found = set(Person.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise fail("unknown_person", "No active person with these ids.", "notify_person_ids", ids=missing)
    return ids


def may_work_at(person: Person, site_ids: Sequence[int]) -> bool:
    """Active, with ``jobs.perform``, and every site of ``site_ids`` among their sites."""
    if not person.is_active or not person.has_capability("jobs.perform"):
        return False
    if sees_all_sites(person):
        return True
    wanted = set(site_ids)
    return set(sites_for(person).filter(pk__in=wanted).values_list("pk", flat=True)) == wanted


def clean_assignee(person: Any, team: Any, site_ids: Sequence[int]) -> tuple[Person | None, Team | None]:
    """Exactly one of a person who may work at every site of ``site_ids``, or an active team
    with at least one such member."""
    if person is not None and team is not None:
        raise fail("assignee_conflict", "Assign the work to a person or to a team, not both.", "assignee_person")
    if person is None and team is None:
        raise fail("assignee_required", "Assign the work to a person or to a team.", "assignee_person")
    if person is not None:
        pk = as_id(person, "assignee_person", "unknown_person")
        found = Person.objects.filter(pk=pk).prefetch_related("roles").first()
        if found is None:
            raise fail("unknown_person", f"No person {pk} in this tenant.", "assignee_person")
        if not may_work_at(found, site_ids):
            raise fail(
                "assignee_cannot_work_at_site",
                f"Person {pk} cannot work at {_where(site_ids)}: an active person who performs jobs "
                "and may work there is needed.",
                "assignee_person",
                person=found.pk,
            )
        return found, None
    pk = as_id(team, "assignee_team", "unknown_team")
    found_team = Team.objects.filter(pk=pk).first()
    if found_team is None:
        raise fail("unknown_team", f"No team {pk} in this tenant.", "assignee_team")
    members = Person.objects.filter(team_memberships__team=found_team, is_active=True).prefetch_related("roles")
    if not found_team.is_active or not any(may_work_at(member, site_ids) for member in members):
        raise fail(
            "assignee_cannot_work_at_site",
            f"Team {pk} has no active member who performs jobs and may work at {_where(site_ids)}.",
            "assignee_team",
            team=found_team.pk,
        )
    return None, found_team


def _where(site_ids: Sequence[int]) -> str:
    codes = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "code"))
    names = [codes.get(pk, str(pk)) for pk in site_ids]
    return f"site {names[0]}" if len(names) == 1 else f"every site of the route ({', '.join(names)})"


# --- stops -------------------------------------------------------------------------------------

STOP_KEYS = frozenset({"checkpoint", "checklist", "offset_minutes", "duration_minutes", "grace_minutes"})


@dataclass(frozen=True)
class StopSpec:
    """One checked stop of an internal tour, in position order (1..n)."""

    position: int
    checkpoint: Asset
    checklist: Checklist | None
    offset_minutes: int
    duration_minutes: int | None
    grace_minutes: int | None


def check_stop_count(count: int, field: str = "stops") -> None:
    if count > MAX_STOPS:
        raise fail(
            "too_many_stops",
            f"A tour has at most {MAX_STOPS} stops; this one would have {count}.",
            field,
            max=MAX_STOPS,
            count=count,
        )


def clean_stops(value: Any, site: Site) -> list[StopSpec]:
    """1..200 stops at active checkpoints of ``site``, each with an optional CHECKLIST checklist."""
    if value is None:
        value = []
    if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
        raise fail("value_invalid", "stops must be a list.", "stops")
    raw = list(value)
    check_stop_count(len(raw))
    if not raw:
        raise fail("stops_required", "An internal tour needs at least one stop.", "stops")
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise fail("value_invalid", "Each stop is an object.", f"stops[{index}]")
        unknown = sorted(set(item) - STOP_KEYS)
        if unknown:
            raise fail(
                "value_invalid", f"Unknown stop fields: {', '.join(unknown)}.", f"stops[{index}]", fields=unknown
            )
        if item.get("checkpoint") is None:
            raise fail("value_required", "Each stop needs a checkpoint.", f"stops[{index}].checkpoint")
    ids = [as_id(item["checkpoint"], f"stops[{index}].checkpoint", "stop_wrong_site") for index, item in enumerate(raw)]
    checkpoints = Asset.objects.in_bulk(set(ids))
    checklists: dict[int, Checklist | None] = {}
    for index, item in enumerate(raw):
        if item.get("checklist") is not None:
            pk = as_id(item["checklist"], f"stops[{index}].checklist", "unknown_checklist")
            if pk not in checklists:
                checklists[pk] = clean_checklist(
                    pk, Kind.INTERNAL_TOUR, f"stops[{index}].checklist", allowed=STOP_CHECKLIST_KINDS, what="a stop"
                )
    specs: list[StopSpec] = []
    for index, (item, pk) in enumerate(zip(raw, ids, strict=True)):
        where = f"stops[{index}]"
        checkpoint = checkpoints.get(pk)
        if (
            checkpoint is None
            or checkpoint.site_id != site.pk
            or checkpoint.kind != Asset.Kind.CHECKPOINT
            or not checkpoint.is_active
            or checkpoint.status == Asset.Status.SCRAPPED
        ):
            raise fail(
                "stop_wrong_site",
                f"Stop {index + 1}: checkpoint {pk} is not an active checkpoint of site {site.code}.",
                f"{where}.checkpoint",
                checkpoint=pk,
            )
        checklist = None
        if item.get("checklist") is not None:
            checklist = checklists[as_id(item["checklist"], f"{where}.checklist", "unknown_checklist")]
        specs.append(
            StopSpec(
                position=index + 1,
                checkpoint=checkpoint,
                checklist=checklist,
                offset_minutes=whole_number(item.get("offset_minutes", 0), f"{where}.offset_minutes", STOP_OFFSET),
                duration_minutes=optional_number(item.get("duration_minutes"), f"{where}.duration_minutes", DURATION),
                grace_minutes=optional_number(item.get("grace_minutes"), f"{where}.grace_minutes", GRACE),
            )
        )
    return specs


# --- timing --------------------------------------------------------------------------------------


def tour_span(
    *,
    kind: str,
    duration: int,
    grace: int,
    stops: Sequence[StopSpec] = (),
    visits: int = 0,
    sites_per_round: int = 1,
    travel: int = 0,
    break_minutes: int = 0,
) -> timedelta:
    """How long after its occurrence a job of this shape expires (the semantics of planning):
    a task ``duration + grace``; a tour the latest expiry of its stops."""
    if kind == Kind.INTERNAL_TOUR:
        start = 0
        latest = 0
        for stop in stops:
            plan = start + stop.offset_minutes
            length = stop.duration_minutes if stop.duration_minutes is not None else duration
            late = stop.grace_minutes if stop.grace_minutes is not None else grace
            latest = max(latest, plan + length + late)
            start = plan + length
        return timedelta(minutes=latest)
    if kind == Kind.EXTERNAL_TOUR and visits:
        end = 0
        for visit in range(visits):
            if visit:
                end += break_minutes if visit % sites_per_round == 0 else travel
            end += duration
        return timedelta(minutes=end + grace)
    return timedelta(minutes=duration + grace)


def atomic() -> Any:
    """A transaction on the database of the tenant in context."""
    return transaction.atomic(using=tenancy.db_alias())


def require_manage(actor: Any) -> None:
    """Refuse a person without ``schedules.manage`` (None, the system, may)."""
    if actor is not None and not actor.has_capability(MANAGE):
        raise PermissionDenied("Planning work needs the schedules.manage capability.")
