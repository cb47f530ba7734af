"""Schedule and job queries, scoped and filtered like REST (``selectors``, ``filtersets``)."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from apps.core.graphql import SizedList, filtered_page, selected_paths
from apps.core.graphql import require_any_capability as require_any
from apps.scheduling import checks, selectors, services
from apps.scheduling.filtersets import JobFilterSet, ScheduleFilterSet
from apps.scheduling.models import Job, ScheduleStop

from .inputs import ScheduleInput, schedule_fields
from .types import JobBoardType, JobKind, JobOrigin, JobStatus, JobType, OccurrencesType, ScheduleKind, ScheduleType

MAX_PAGE = 500
SCHEDULE_READERS = selectors.SCHEDULE_READERS
JOB_READERS = (*selectors.SITE_JOB_READERS, *selectors.JOB_PERFORMERS)
PLANNERS = (checks.MANAGE,)
PERFORMERS = (*selectors.JOB_PERFORMERS, checks.MANAGE)
BOARD_LISTS = ("planned", "in_progress", "done", "missed")
JOB_RELATIONS = ("site", "asset", "checklist_version", "assignee_person", "assignee_team")


def _page(filterset_class: Any, queryset: QuerySet[Any], data: dict[str, Any], first: int, offset: int) -> Any:
    return list(filtered_page(filterset_class, queryset, data, first, offset, MAX_PAGE))


def schedule_lookups(info: Any, field: str = "") -> list[Prefetch]:
    """Prefetches for the nested lists selected under ``field`` ("" for the root)."""
    at = f"{field}." if field else ""
    if f"{at}stops" not in selected_paths(info):
        return []
    return [Prefetch("stops", queryset=ScheduleStop.objects.select_related("checkpoint").order_by("position"))]


def job_lookups(info: Any, field: str = "") -> list[Prefetch]:
    at = f"{field}." if field else ""
    if f"{at}stops" not in selected_paths(info):
        return []
    return [Prefetch("stops", queryset=Job.objects.select_related(*JOB_RELATIONS).order_by("seq", "pk"))]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class SchedulingQueries(graphene.ObjectType):
    schedules = SizedList(
        ScheduleType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Schedules of the caller's sites, by name (sites.view or schedules.manage).",
        site_id=graphene.ID(),
        site_group_id=graphene.ID(),
        kind=graphene.List(graphene.NonNull(ScheduleKind)),
        is_active=graphene.Boolean(),
        assignee_person_id=graphene.ID(),
        assignee_team_id=graphene.ID(),
        q=graphene.String(description="Name contains (any case)."),
        first=graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        offset=graphene.Int(default_value=0),
    )
    schedule = graphene.Field(
        ScheduleType, required=True, id=graphene.ID(required=True), description="One schedule the caller may see."
    )
    jobs = SizedList(
        JobType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Jobs of the caller's sites in plan order; a worker sees the jobs assigned to them or their team.",
        site_id=graphene.ID(),
        status=graphene.List(graphene.NonNull(JobStatus)),
        kind=graphene.List(graphene.NonNull(JobKind)),
        origin=graphene.List(graphene.NonNull(JobOrigin)),
        assignee_id=graphene.ID(description="Assigned to this person."),
        team_id=graphene.ID(description="Assigned to this team."),
        schedule_id=graphene.ID(),
        parent_id=graphene.ID(description="The stops of this tour."),
        plan_after=graphene.DateTime(description="Planned at or after."),
        plan_before=graphene.DateTime(description="Planned before."),
        top_level=graphene.Boolean(description="true: tasks and tours only; false: tour stops only."),
        first=graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        offset=graphene.Int(default_value=0),
    )
    job = graphene.Field(JobType, required=True, id=graphene.ID(required=True), description="One job, with its stops.")
    job_board = graphene.Field(
        JobBoardType,
        required=True,
        site_id=graphene.ID(required=True),
        date=graphene.Date(description="The site's local day; default: today there."),
        description="A site's day: planned, in progress, done and missed tasks and tours.",
    )
    schedule_occurrences = graphene.Field(
        OccurrencesType,
        required=True,
        input=graphene.Argument(ScheduleInput, required=True),
        count=graphene.Int(default_value=10, description="1-100."),
        description="The next occurrences of a schedule before it is saved, checked like createSchedule.",
    )

    @staticmethod
    def resolve_schedules(root: Any, info: Any, first: int = 100, offset: int = 0, **filters: Any) -> list[Any]:
        user = require_any(info, SCHEDULE_READERS)
        data = {
            "site": filters.get("site_id"),
            "site_group": filters.get("site_group_id"),
            "kind": filters.get("kind") or None,
            "is_active": filters.get("is_active"),
            "assignee_person": filters.get("assignee_person_id"),
            "assignee_team": filters.get("assignee_team_id"),
            "q": filters.get("q"),
        }
        queryset = selectors.schedules_for(user).prefetch_related(*schedule_lookups(info))
        return _page(ScheduleFilterSet, queryset, data, first, offset)

    @staticmethod
    def resolve_schedule(root: Any, info: Any, id: str) -> Any:
        user = require_any(info, SCHEDULE_READERS)
        schedule = selectors.get_schedule_for(user, id)
        return selectors.schedules_for(user).prefetch_related(*schedule_lookups(info)).get(pk=schedule.pk)

    @staticmethod
    def resolve_jobs(root: Any, info: Any, first: int = 100, offset: int = 0, **filters: Any) -> list[Any]:
        user = require_any(info, JOB_READERS)
        data = {
            "site": filters.get("site_id"),
            "status": filters.get("status") or None,
            "kind": filters.get("kind") or None,
            "origin": filters.get("origin") or None,
            "assignee": filters.get("assignee_id"),
            "team": filters.get("team_id"),
            "schedule": filters.get("schedule_id"),
            "parent": filters.get("parent_id"),
            "plan_after": _iso(filters.get("plan_after")),
            "plan_before": _iso(filters.get("plan_before")),
            "top_level": filters.get("top_level"),
        }
        queryset = selectors.jobs_for(user).select_related(*JOB_RELATIONS).prefetch_related(*job_lookups(info))
        return _page(JobFilterSet, queryset, data, first, offset)

    @staticmethod
    def resolve_job(root: Any, info: Any, id: str) -> Any:
        user = require_any(info, JOB_READERS)
        job = selectors.get_job_for(user, id)
        return (
            selectors.jobs_for(user).select_related(*JOB_RELATIONS).prefetch_related(*job_lookups(info)).get(pk=job.pk)
        )

    @staticmethod
    def resolve_job_board(root: Any, info: Any, site_id: str, date: Any = None) -> Any:
        user = require_any(info, JOB_READERS)
        board = selectors.board(user, site_id, date)
        for name in BOARD_LISTS:
            # The board joins the assignees; the rest of a job's fields read these.
            field = "inProgress" if name == "in_progress" else name
            prefetch_related_objects(board[name], "site", "asset", "checklist_version", *job_lookups(info, field))
        return board

    @staticmethod
    def resolve_schedule_occurrences(root: Any, info: Any, input: Any, count: int = 10) -> dict[str, Any]:
        user = require_any(info, PLANNERS)
        fields = schedule_fields(input)
        occurrences = services.preview_occurrences(user, count=count, **fields)
        return {"timezone": services.schedule_timezone(fields), "occurrences": occurrences}
