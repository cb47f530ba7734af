"""What the jobs of one schedule occurrence look like: pure planning, no database.

A ``Plan`` is built once per schedule (``plan_schedule``) from the schedule, its stops
(internal tour) or the member sites of its group (external tour), and the checklist
versions in force. Everything in it is relative to the occurrence: a stop starts
``start`` after it and expires ``expires`` after it. That is what lets the generation run
expand thousands of occurrences in SQL (occurrence + offset) instead of in Python.

Timing (see the package README and ``Schedule``):

- task, PPM, site report: one job, planned at the occurrence, lasting the schedule's
  duration, expiring ``grace`` after its planned end;
- internal tour: a parent (seq 0) and one stop per ``ScheduleStop`` in position order
  (seq 1..n): a stop starts ``offset_minutes`` after the previous stop's planned end (the
  first: after the occurrence), lasts its own duration or the schedule's and expires its
  own grace or the schedule's after its end; the parent lasts until the last stop's end
  and expires with the latest stop;
- external tour: the group's active member sites in member order, or shuffled per
  occurrence (``random.Random(f"{schedule_id}:{occurrence.isoformat()}")``, the same order
  in every round), ``rounds`` times; each visit lasts the schedule's duration, the next
  one starts ``travel_minutes`` after it, or ``break_minutes`` when a new round starts.
  The parent is at the first visited site.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from .errors import fail
from .models import Job, Kind

#: The most child jobs one tour occurrence may have (stops, or group sites x rounds).
MAX_STOPS = 200


@dataclass(frozen=True, slots=True)
class StopPlan:
    """One stop of a tour, timed from the occurrence."""

    seq: int
    title: str
    site_id: int
    asset_id: int | None
    checklist_version_id: int | None
    start: timedelta
    duration_minutes: int
    expires: timedelta


@dataclass(frozen=True, slots=True)
class StopSpec:
    """An internal tour's stop as planning needs it (see ``ScheduleStop``).

    ``checklist_version_id`` is the current version of the stop's own checklist; a stop
    without one (``checklist_id`` None) takes the schedule's.
    """

    checkpoint_id: int
    checkpoint_name: str
    checklist_id: int | None
    checklist_version_id: int | None
    offset_minutes: int
    duration_minutes: int | None
    grace_minutes: int | None

    @classmethod
    def of(cls, stop: Any) -> StopSpec:
        """From a ``ScheduleStop`` with ``checkpoint`` and ``checklist`` loaded."""
        return cls(
            checkpoint_id=stop.checkpoint_id,
            checkpoint_name=stop.checkpoint.name,
            checklist_id=stop.checklist_id,
            checklist_version_id=stop.checklist.current_version_id if stop.checklist_id is not None else None,
            offset_minutes=stop.offset_minutes,
            duration_minutes=stop.duration_minutes,
            grace_minutes=stop.grace_minutes,
        )


@dataclass(frozen=True, slots=True)
class Member:
    """A site an external tour visits."""

    site_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The jobs of any occurrence of one schedule, relative to the occurrence.

    ``site_id`` is the parent's site (an external tour's: the first member's; with
    ``shuffled`` the first visited site differs per occurrence, see ``stops_at``).
    """

    schedule_id: int
    kind: str
    title: str
    site_id: int
    asset_id: int | None
    checklist_version_id: int | None
    assignee_person_id: int | None
    assignee_team_id: int | None
    priority: str
    scan_type: str
    duration_minutes: int
    expires: timedelta
    stops: tuple[StopPlan, ...] = ()
    shuffled: bool = False
    members: tuple[Member, ...] = ()
    rounds: int = 1
    reminder_offsets: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class JobRow:
    """One job of one occurrence, with absolute times (UTC)."""

    seq: int
    kind: str
    title: str
    site_id: int
    asset_id: int | None
    checklist_version_id: int | None
    plan_at: datetime
    duration_minutes: int
    expires_at: datetime


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def _title(schedule_name: str, stop_name: str) -> str:
    return f"{schedule_name}: {stop_name}"[:200]


def plan_schedule(
    schedule: Any,
    *,
    checklist_version_id: int | None,
    stops: Sequence[StopSpec] = (),
    members: Sequence[Member] = (),
) -> Plan:
    """The plan of ``schedule`` (a ``Schedule``, or anything with its attributes).

    ``checklist_version_id``: the current version of the schedule's checklist.
    ``stops``: the internal tour's stops in position order. ``members``: an external
    tour's active sites in member order. An internal tour without stops is planned as a
    single job.

    Raises ``ScheduleError`` ``too_many_stops`` past ``MAX_STOPS`` child jobs, and
    ``site_group_required`` for an external tour with no active site to visit.
    """
    duration = int(schedule.duration_minutes)
    grace = int(schedule.grace_minutes)
    common = {
        "schedule_id": schedule.pk,
        "kind": schedule.kind,
        "title": schedule.name[:200],
        "asset_id": schedule.asset_id if schedule.kind not in (Kind.INTERNAL_TOUR, Kind.EXTERNAL_TOUR) else None,
        "checklist_version_id": checklist_version_id,
        "assignee_person_id": schedule.assignee_person_id,
        "assignee_team_id": schedule.assignee_team_id,
        "priority": schedule.priority,
        "scan_type": schedule.scan_type,
        "reminder_offsets": tuple(sorted(set(schedule.reminder_offsets or ()))) if schedule.kind == Kind.PPM else (),
    }
    if schedule.kind == Kind.INTERNAL_TOUR and stops:
        return _internal_tour(schedule, common, stops, checklist_version_id)
    if schedule.kind == Kind.EXTERNAL_TOUR:
        return _external_tour(schedule, common, members, checklist_version_id)
    return Plan(site_id=schedule.site_id, duration_minutes=duration, expires=_minutes(duration + grace), **common)


def _internal_tour(
    schedule: Any,
    common: dict[str, Any],
    stops: Sequence[StopSpec],
    default_version: int | None,
) -> Plan:
    if len(stops) > MAX_STOPS:
        raise fail("too_many_stops", f"A tour has at most {MAX_STOPS} stops; this one has {len(stops)}.", "stops")
    planned: list[StopPlan] = []
    end = timedelta(0)
    for seq, stop in enumerate(stops, start=1):
        start = end + _minutes(stop.offset_minutes)
        duration = stop.duration_minutes if stop.duration_minutes is not None else schedule.duration_minutes
        grace = stop.grace_minutes if stop.grace_minutes is not None else schedule.grace_minutes
        end = start + _minutes(duration)
        version = stop.checklist_version_id if stop.checklist_id is not None else default_version
        planned.append(
            StopPlan(
                seq=seq,
                title=_title(schedule.name, stop.checkpoint_name),
                site_id=schedule.site_id,
                asset_id=stop.checkpoint_id,
                checklist_version_id=version,
                start=start,
                duration_minutes=int(duration),
                expires=end + _minutes(grace),
            )
        )
    return Plan(
        site_id=schedule.site_id,
        duration_minutes=int(end.total_seconds() // 60),
        expires=max(stop.expires for stop in planned),
        stops=tuple(planned),
        **common,
    )


def _external_tour(schedule: Any, common: dict[str, Any], members: Sequence[Member], version: int | None) -> Plan:
    if not members:
        raise fail("site_group_required", "The external tour's site group has no active site to visit.", "site_group")
    rounds = int(schedule.rounds)
    if len(members) * rounds > MAX_STOPS:
        raise fail(
            "too_many_stops",
            f"A tour has at most {MAX_STOPS} stops; {len(members)} sites x {rounds} rounds is {len(members) * rounds}.",
            "site_group",
        )
    duration = _minutes(schedule.duration_minutes)
    grace = _minutes(schedule.grace_minutes)
    travel, pause = _minutes(schedule.travel_minutes), _minutes(schedule.break_minutes)
    planned: list[StopPlan] = []
    start = timedelta(0)
    for round_index in range(rounds):
        for position, member in enumerate(members):
            if planned:
                start = start + duration + (pause if position == 0 else travel)
            planned.append(
                StopPlan(
                    seq=round_index * len(members) + position + 1,
                    title=_title(schedule.name, member.name),
                    site_id=member.site_id,
                    asset_id=None,
                    checklist_version_id=version,
                    start=start,
                    duration_minutes=int(schedule.duration_minutes),
                    expires=start + duration + grace,
                )
            )
    end = start + duration
    return Plan(
        site_id=members[0].site_id,
        duration_minutes=int(end.total_seconds() // 60),
        expires=max(stop.expires for stop in planned),
        stops=tuple(planned),
        shuffled=bool(schedule.random_order) and len(members) > 1,
        members=tuple(members),
        rounds=rounds,
        **common,
    )


def visit_order(schedule_id: int, occurrence: datetime, members: Sequence[Member]) -> list[Member]:
    """The external tour's random visiting order for one occurrence (reproducible)."""
    order = list(members)
    random.Random(f"{schedule_id}:{occurrence.isoformat()}").shuffle(order)
    return order


def stops_at(plan: Plan, occurrence: datetime) -> tuple[StopPlan, ...]:
    """The plan's stops for one occurrence: the plan's own unless the order is shuffled."""
    if not plan.shuffled:
        return plan.stops
    order = visit_order(plan.schedule_id, occurrence, plan.members)
    count = len(order)
    return tuple(
        replace(stop, site_id=order[index % count].site_id, title=_title(plan.title, order[index % count].name))
        for index, stop in enumerate(plan.stops)
    )


def job_rows(plan: Plan, occurrence: datetime) -> list[JobRow]:
    """The jobs of one occurrence: the task or tour (seq 0), then its stops in order."""
    stops = stops_at(plan, occurrence)
    rows = [
        JobRow(
            seq=0,
            kind=plan.kind,
            title=plan.title,
            site_id=stops[0].site_id if plan.kind == Kind.EXTERNAL_TOUR and stops else plan.site_id,
            asset_id=plan.asset_id,
            checklist_version_id=plan.checklist_version_id,
            plan_at=occurrence,
            duration_minutes=plan.duration_minutes,
            expires_at=occurrence + plan.expires,
        )
    ]
    rows.extend(
        JobRow(
            seq=stop.seq,
            kind=Job.Kind.STOP,
            title=stop.title,
            site_id=stop.site_id,
            asset_id=stop.asset_id,
            checklist_version_id=stop.checklist_version_id,
            plan_at=occurrence + stop.start,
            duration_minutes=stop.duration_minutes,
            expires_at=occurrence + stop.expires,
        )
        for stop in stops
    )
    return rows
