"""GraphQL types of schedules, their stops, jobs, occurrences and the day board.

Nested lists (a schedule's stops, a tour's stop jobs) are read from what the root
resolver prefetched (``queries.schedule_lookups``/``job_lookups``), so a list costs a
fixed number of queries whatever it selects.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.core.geo import to_geojson
from apps.core.graphql import SizedList
from apps.scheduling import services
from apps.scheduling.models import Job, Kind, Priority, ScanType, Schedule, ScheduleStop

# The cost rule counts a day-board column at BOARD_COLUMN jobs (a site's day is not
# paged) and a tour's stops at STOPS_COSTED, a typical tour, rather than at the cap of
# checks.MAX_STOPS: a page of tours with their stops would otherwise cost more than any budget.
BOARD_COLUMN = 50
STOPS_COSTED = 10

ScheduleKind = graphene.Enum.from_enum(Kind, name="ScheduleKind", description="What a schedule plans.")
JobKind = graphene.Enum.from_enum(Job.Kind, name="JobKind", description="What a job is: a task, a tour, a stop...")
JobStatus = graphene.Enum.from_enum(Job.Status, name="JobStatus", description="Where a job stands.")
JobOrigin = graphene.Enum.from_enum(Job.Origin, name="JobOrigin", description="How a job came to be planned.")
JobPriority = graphene.Enum.from_enum(Priority, name="JobPriority", description="How urgent scheduled work is.")
JobScanType = graphene.Enum.from_enum(ScanType, name="JobScanType", description="How the worker proves presence.")


def _assignee_name(row: Schedule | Job) -> str | None:
    person, team = row.assignee_person, row.assignee_team
    return person.name if person is not None else team.name if team is not None else None


class OccurrenceType(graphene.ObjectType):
    """One planned occurrence: when the job would be planned and when it would expire."""

    plan_at = graphene.DateTime(required=True)
    expires_at = graphene.DateTime(required=True)


class OccurrencesType(graphene.ObjectType):
    """The next occurrences of a schedule and the time zone its cron is evaluated in."""

    timezone = graphene.String(required=True, description="The site's zone (an external tour: the company's).")
    occurrences = SizedList(OccurrenceType, max_items=services.MAX_PREVIEW, required=True)


class ScheduleStopType(DjangoObjectType):
    """One stop of an internal tour, in tour order."""

    checkpoint_id = graphene.ID(required=True, description="Id of the checkpoint (an asset of the site).")
    checkpoint_name = graphene.String(required=True)
    checklist_id = graphene.ID(description="The stop's own checklist; null: the schedule's.")

    class Meta:
        model = ScheduleStop
        fields = ["id", "position", "offset_minutes", "duration_minutes", "grace_minutes"]

    @staticmethod
    def resolve_checkpoint_id(root: ScheduleStop, info: Any) -> int:
        return root.checkpoint_id

    @staticmethod
    def resolve_checkpoint_name(root: ScheduleStop, info: Any) -> str:
        return root.checkpoint.name

    @staticmethod
    def resolve_checklist_id(root: ScheduleStop, info: Any) -> int | None:
        return root.checklist_id


class ScheduleType(DjangoObjectType):
    """A schedule at one of the caller's sites."""

    kind = graphene.Field(ScheduleKind, required=True)
    priority = graphene.Field(JobPriority, required=True)
    scan_type = graphene.Field(JobScanType, required=True)
    site_id = graphene.ID(description="Where the work is; null for an external tour.")
    site_code = graphene.String()
    site_name = graphene.String()
    site_group_id = graphene.ID(description="The route of an external tour.")
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    assignee_name = graphene.String()
    checklist_id = graphene.ID()
    asset_id = graphene.ID(description="The maintained asset (PPM).")
    ticket_category_id = graphene.ID(description="Category of the ticket raised on a miss.")
    reminder_offsets = graphene.List(
        graphene.NonNull(graphene.Int), required=True, description="PPM: minutes before plan, earliest first."
    )
    notify_person_ids = graphene.List(graphene.NonNull(graphene.ID), required=True)
    stops = SizedList(ScheduleStopType, max_items=STOPS_COSTED, required=True, description="Internal tours, in order.")
    occurrences = graphene.Field(
        OccurrencesType,
        required=True,
        count=graphene.Int(default_value=10, description="1-100."),
        description="The next occurrences from now (one query per schedule: ask for few schedules).",
    )

    class Meta:
        model = Schedule
        fields = [
            "id",
            "uuid",
            "name",
            "cron",
            "valid_from",
            "valid_until",
            "duration_minutes",
            "grace_minutes",
            "is_dynamic",
            "random_order",
            "rounds",
            "break_minutes",
            "travel_minutes",
            "email_on_miss",
            "ticket_on_miss",
            "is_active",
            "generated_until",
            "version",
            "created_at",
            "modified_at",
        ]

    @staticmethod
    def resolve_kind(root: Schedule, info: Any) -> str:
        return root.kind

    @staticmethod
    def resolve_priority(root: Schedule, info: Any) -> str:
        return root.priority

    @staticmethod
    def resolve_scan_type(root: Schedule, info: Any) -> str:
        return root.scan_type

    @staticmethod
    def resolve_site_id(root: Schedule, info: Any) -> int | None:
        return root.site_id

    @staticmethod
    def resolve_site_code(root: Schedule, info: Any) -> str | None:
        return root.site.code if root.site is not None else None

    @staticmethod
    def resolve_site_name(root: Schedule, info: Any) -> str | None:
        return root.site.name if root.site is not None else None

    @staticmethod
    def resolve_site_group_id(root: Schedule, info: Any) -> int | None:
        return root.site_group_id

    @staticmethod
    def resolve_assignee_person_id(root: Schedule, info: Any) -> int | None:
        return root.assignee_person_id

    @staticmethod
    def resolve_assignee_team_id(root: Schedule, info: Any) -> int | None:
        return root.assignee_team_id

    @staticmethod
    def resolve_assignee_name(root: Schedule, info: Any) -> str | None:
        return _assignee_name(root)

    @staticmethod
    def resolve_checklist_id(root: Schedule, info: Any) -> int | None:
        return root.checklist_id

    @staticmethod
    def resolve_asset_id(root: Schedule, info: Any) -> int | None:
        return root.asset_id

    @staticmethod
    def resolve_ticket_category_id(root: Schedule, info: Any) -> int | None:
        return root.ticket_category_id

    @staticmethod
    def resolve_reminder_offsets(root: Schedule, info: Any) -> list[int]:
        return list(root.reminder_offsets or [])

    @staticmethod
    def resolve_notify_person_ids(root: Schedule, info: Any) -> list[int]:
        return list(root.notify_person_ids or [])

    @staticmethod
    def resolve_stops(root: Schedule, info: Any) -> Any:
        return root.stops.all()

    @staticmethod
    def resolve_occurrences(root: Schedule, info: Any, count: int = 10) -> dict[str, Any]:
        return {
            "timezone": services.schedule_timezone(root),
            "occurrences": services.schedule_occurrences(root, count=count),
        }


class JobType(DjangoObjectType):
    """A job at one of the caller's sites (a worker: one assigned to them or their team)."""

    kind = graphene.Field(JobKind, required=True)
    origin = graphene.Field(JobOrigin, required=True)
    status = graphene.Field(JobStatus, required=True)
    priority = graphene.Field(JobPriority, required=True)
    scan_type = graphene.Field(JobScanType, required=True)
    site_id = graphene.ID(required=True, description="Where (a stop of an external tour: the visited site).")
    site_code = graphene.String(required=True)
    site_name = graphene.String(required=True)
    schedule_id = graphene.ID(description="Null for ad-hoc jobs.")
    parent_id = graphene.ID(description="The tour of a stop.")
    asset_id = graphene.ID(description="The checkpoint of a stop, the asset of a PPM job.")
    asset_name = graphene.String()
    checklist_id = graphene.ID(description="The checklist to fill in.")
    checklist_version = graphene.Int(description="Number of its version in force when the job was planned.")
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    assignee_name = graphene.String()
    performed_by_id = graphene.ID(description="Who started it.")
    point = GenericScalar(description="GeoJSON Point where it was performed.")
    stops = SizedList(
        lambda: JobType,
        max_items=STOPS_COSTED,
        required=True,
        description="A tour's stops in order; empty otherwise.",
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "uuid",
            "title",
            "occurrence_at",
            "seq",
            "plan_at",
            "duration_minutes",
            "expires_at",
            "started_at",
            "ended_at",
            "alert",
            "deviation",
            "remarks",
            "version",
            "created_at",
            "modified_at",
        ]

    @staticmethod
    def resolve_kind(root: Job, info: Any) -> str:
        return root.kind

    @staticmethod
    def resolve_origin(root: Job, info: Any) -> str:
        return root.origin

    @staticmethod
    def resolve_status(root: Job, info: Any) -> str:
        return root.status

    @staticmethod
    def resolve_priority(root: Job, info: Any) -> str:
        return root.priority

    @staticmethod
    def resolve_scan_type(root: Job, info: Any) -> str:
        return root.scan_type

    @staticmethod
    def resolve_site_id(root: Job, info: Any) -> int:
        return root.site_id

    @staticmethod
    def resolve_site_code(root: Job, info: Any) -> str:
        return root.site.code

    @staticmethod
    def resolve_site_name(root: Job, info: Any) -> str:
        return root.site.name

    @staticmethod
    def resolve_schedule_id(root: Job, info: Any) -> int | None:
        return root.schedule_id

    @staticmethod
    def resolve_parent_id(root: Job, info: Any) -> int | None:
        return root.parent_id

    @staticmethod
    def resolve_asset_id(root: Job, info: Any) -> int | None:
        return root.asset_id

    @staticmethod
    def resolve_asset_name(root: Job, info: Any) -> str | None:
        return root.asset.name if root.asset is not None else None

    @staticmethod
    def resolve_checklist_id(root: Job, info: Any) -> int | None:
        return root.checklist_version.checklist_id if root.checklist_version is not None else None

    @staticmethod
    def resolve_checklist_version(root: Job, info: Any) -> int | None:
        return root.checklist_version.number if root.checklist_version is not None else None

    @staticmethod
    def resolve_assignee_person_id(root: Job, info: Any) -> int | None:
        return root.assignee_person_id

    @staticmethod
    def resolve_assignee_team_id(root: Job, info: Any) -> int | None:
        return root.assignee_team_id

    @staticmethod
    def resolve_assignee_name(root: Job, info: Any) -> str | None:
        return _assignee_name(root)

    @staticmethod
    def resolve_performed_by_id(root: Job, info: Any) -> int | None:
        return root.performed_by_id

    @staticmethod
    def resolve_point(root: Job, info: Any) -> dict[str, Any] | None:
        return to_geojson(root.point)

    @staticmethod
    def resolve_stops(root: Job, info: Any) -> Any:
        return root.stops.all()


class JobBoardSiteType(graphene.ObjectType):
    """The site of a board."""

    id = graphene.ID(required=True)
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    timezone = graphene.String(required=True)


class JobBoardCountsType(graphene.ObjectType):
    planned = graphene.Int(required=True)
    in_progress = graphene.Int(required=True)
    done = graphene.Int(required=True)
    missed = graphene.Int(required=True)


class JobBoardType(graphene.ObjectType):
    """One site's local day: its tasks and tours planned that day, by where they stand."""

    site = graphene.Field(JobBoardSiteType, required=True)
    date = graphene.Date(required=True)
    counts = graphene.Field(JobBoardCountsType, required=True)
    planned = SizedList(JobType, max_items=BOARD_COLUMN, required=True, description="Assigned, not yet expired.")
    in_progress = SizedList(JobType, max_items=BOARD_COLUMN, required=True)
    done = SizedList(JobType, max_items=BOARD_COLUMN, required=True)
    missed = SizedList(
        JobType, max_items=BOARD_COLUMN, required=True, description="Auto-closed, partially completed, or past expiry."
    )
