"""Serializers of the scheduling API: they parse and render; the services check everything.

Numbers, ids, cron expressions and kinds are passed to the services as sent, so their
error codes (``value_out_of_range``, ``cron_invalid``, ``kind_invalid`` ...) reach the client.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import DateField, DateTimeField, PointField, WholeItemSerializer
from apps.scheduling.models import Job, Priority, ScanType, Schedule, ScheduleStop


def _id(source: str, help_text: str) -> serializers.IntegerField:
    # Read from ``<name>_id``: no query per row.
    return serializers.IntegerField(source=source, read_only=True, allow_null=True, help_text=help_text)


def _int(help_text: str, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, help_text=help_text, **kwargs)


def _ref(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, allow_null=True, help_text=help_text)


def assignee_name(row: Schedule | Job) -> str | None:
    person, team = row.assignee_person, row.assignee_team
    return person.name if person is not None else team.name if team is not None else None


# --- schedules ----------------------------------------------------------------------------


class ScheduleStopSerializer(serializers.ModelSerializer):
    """One stop of an internal tour, in tour order."""

    checkpoint = _id("checkpoint_id", "Id of a CHECKPOINT asset of the tour's site.")
    checkpoint_name = serializers.CharField(source="checkpoint.name", read_only=True)
    checklist = _id("checklist_id", "The stop's own checklist; null: the schedule's.")

    class Meta:
        model = ScheduleStop
        fields = [
            "position",
            "checkpoint",
            "checkpoint_name",
            "checklist",
            "offset_minutes",
            "duration_minutes",
            "grace_minutes",
        ]
        read_only_fields = fields


class ScheduleSerializer(serializers.ModelSerializer):
    """A schedule as the console reads it, with its stops in order."""

    site = _id("site_id", "Where the work is; null for an external tour.")
    site_code = serializers.SerializerMethodField()
    site_name = serializers.SerializerMethodField()
    site_group = _id("site_group_id", "The route of an external tour.")
    assignee_person = _id("assignee_person_id", "Assigned person.")
    assignee_team = _id("assignee_team_id", "Assigned team.")
    assignee_name = serializers.SerializerMethodField()
    checklist = _id("checklist_id", "Checklist of the work (of each stop, unless the stop names its own).")
    asset = _id("asset_id", "The maintained asset (PPM).")
    ticket_category = _id("ticket_category_id", "Category of the ticket raised on a miss.")
    stops = ScheduleStopSerializer(many=True, read_only=True, help_text="Internal tours: the stops in order.")

    class Meta:
        model = Schedule
        fields = [
            "id",
            "uuid",
            "name",
            "kind",
            "site",
            "site_code",
            "site_name",
            "site_group",
            "cron",
            "valid_from",
            "valid_until",
            "duration_minutes",
            "grace_minutes",
            "assignee_person",
            "assignee_team",
            "assignee_name",
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
            "generated_until",
            "stops",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    def get_site_code(self, schedule: Schedule) -> str | None:
        return schedule.site.code if schedule.site is not None else None

    def get_site_name(self, schedule: Schedule) -> str | None:
        return schedule.site.name if schedule.site is not None else None

    def get_assignee_name(self, schedule: Schedule) -> str | None:
        return assignee_name(schedule)


class StopWriteSerializer(WholeItemSerializer):
    checkpoint = serializers.IntegerField(help_text="Id of a CHECKPOINT asset of the tour's site.")
    checklist = _ref("The stop's own checklist (kind CHECKLIST); null: the schedule's.")
    offset_minutes = _int("Minutes after the previous stop's planned end (the first: after the occurrence).")
    duration_minutes = _int("1-10080; null: the schedule's.", allow_null=True)
    grace_minutes = _int("0-10080; null: the schedule's.", allow_null=True)


class ScheduleWriteSerializer(serializers.Serializer):
    """The fields of a new schedule; PATCH sends any of them (``stops`` replaces all stops)."""

    name = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="At most 200 characters.")
    kind = serializers.CharField(help_text="TASK, INTERNAL_TOUR, EXTERNAL_TOUR, PPM or SITE_REPORT.")
    site = _ref("A site you may see; null only for external tours.")
    site_group = _ref("External tours: the site group to visit.")
    cron = serializers.CharField(
        required=False, allow_blank=True, help_text="Five fields, in the site's time zone; empty for dynamic tours."
    )
    valid_from = DateTimeField(help_text="No job is planned before.")
    valid_until = DateTimeField(required=False, allow_null=True, help_text="No job is planned from then.")
    duration_minutes = _int("1-10080 (default 30).")
    grace_minutes = _int("0-10080 (default 15): minutes after the planned end before the job expires.")
    assignee_person = _ref("A person with jobs.perform who may work at the site (or give a team).")
    assignee_team = _ref("A team with at least one such member.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    scan_type = serializers.ChoiceField(choices=ScanType.choices, required=False)
    checklist = _ref("Kind CHECKLIST or ASSET_AUDIT (tasks), CHECKLIST (tours), ASSET_MAINTENANCE (PPM) ...")
    asset = _ref("PPM: the asset maintained, of the site.")
    is_dynamic = serializers.BooleanField(required=False, help_text="Tours only: the next instance on completion.")
    random_order = serializers.BooleanField(required=False, help_text="External tours: visit order per occurrence.")
    rounds = _int("External tours: 1-3.")
    break_minutes = _int("External tours: 0-1440 minutes between rounds.")
    travel_minutes = _int("External tours: 0-1440 minutes between visits.")
    reminder_offsets = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="PPM: up to 5, minutes before plan (1-43200)."
    )
    notify_person_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="PPM: people reminded besides the assignee."
    )
    email_on_miss = serializers.BooleanField(required=False, allow_null=True, help_text="null: the tenant's default.")
    ticket_on_miss = serializers.BooleanField(required=False, allow_null=True, help_text="null: the tenant's default.")
    ticket_category = _ref("A TICKET_CATEGORY lookup for the ticket raised on a miss.")
    stops = StopWriteSerializer(
        many=True, required=False, help_text="Internal tours: every stop, in order (replaces the stops on PATCH)."
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "stops" in data:
            data["stops"] = [dict(stop) for stop in data["stops"]]
        return data


class PreviewRequestSerializer(ScheduleWriteSerializer):
    count = serializers.IntegerField(required=False, default=10, help_text="How many occurrences: 1-100.")


class OccurrenceSerializer(serializers.Serializer):
    plan_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class OccurrencesSerializer(serializers.Serializer):
    timezone = serializers.CharField(help_text="The zone the cron is evaluated in (the site's, or the company's).")
    occurrences = OccurrenceSerializer(many=True)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(required=False, default=10, help_text="How many occurrences: 1-100.")


# --- jobs ---------------------------------------------------------------------------------


class JobSerializer(serializers.ModelSerializer):
    """A job as the phone and the console read it."""

    site = _id("site_id", "Where the work is (a stop of an external tour: the visited site).")
    site_code = serializers.CharField(source="site.code", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    schedule = _id("schedule_id", "The schedule it was planned from; null for ad-hoc jobs.")
    parent = _id("parent_id", "The tour of a stop.")  # type: ignore[assignment]
    asset = _id("asset_id", "The checkpoint of a stop, the asset of a PPM job.")
    asset_name = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField(help_text="Id of the checklist to fill in.")
    checklist_version = serializers.SerializerMethodField(
        help_text="Number of its version in force when the job was planned (/checklists/{id}/versions/{n}/)."
    )
    assignee_person = _id("assignee_person_id", "Assigned person.")
    assignee_team = _id("assignee_team_id", "Assigned team.")
    assignee_name = serializers.SerializerMethodField()
    performed_by = _id("performed_by_id", "Who started it.")
    point = PointField(read_only=True, allow_null=True, help_text="Where it was performed.")

    class Meta:
        model = Job
        fields = [
            "id",
            "uuid",
            "title",
            "kind",
            "origin",
            "status",
            "site",
            "site_code",
            "site_name",
            "schedule",
            "occurrence_at",
            "seq",
            "parent",
            "asset",
            "asset_name",
            "checklist",
            "checklist_version",
            "assignee_person",
            "assignee_team",
            "assignee_name",
            "priority",
            "scan_type",
            "plan_at",
            "duration_minutes",
            "expires_at",
            "started_at",
            "ended_at",
            "performed_by",
            "point",
            "alert",
            "deviation",
            "remarks",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    def get_asset_name(self, job: Job) -> str | None:
        return job.asset.name if job.asset is not None else None

    def get_checklist(self, job: Job) -> int | None:
        return job.checklist_version.checklist_id if job.checklist_version is not None else None

    def get_checklist_version(self, job: Job) -> int | None:
        return job.checklist_version.number if job.checklist_version is not None else None

    def get_assignee_name(self, job: Job) -> str | None:
        return assignee_name(job)


class JobDetailSerializer(JobSerializer):
    """A job with the stops of a tour, in order."""

    stops = JobSerializer(many=True, read_only=True, help_text="A tour's stops in order; empty for other jobs.")

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "stops"]
        read_only_fields = fields


class AdhocJobSerializer(serializers.Serializer):
    """An ad-hoc task: planned once, outside any schedule."""

    site = serializers.IntegerField(help_text="A site you may see.")
    title = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="At most 200 characters.")
    plan_at = DateTimeField()
    duration_minutes = _int("1-10080 (default 30).")
    grace_minutes = _int("0-10080 (default 15).")
    assignee_person = _ref("A person with jobs.perform who may work at the site (or give a team).")
    assignee_team = _ref("A team with at least one such member.")
    checklist = _ref("Kind CHECKLIST or ASSET_AUDIT.")
    asset = _ref("An asset of the site.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    scan_type = serializers.ChoiceField(choices=ScanType.choices, required=False)
    remarks = serializers.CharField(required=False, allow_blank=True, help_text="At most 4000 characters.")

    def service_fields(self) -> dict[str, Any]:
        return dict(self.validated_data)


class CompleteSerializer(serializers.Serializer):
    remarks = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Kept on the job; at most 4000 characters."
    )


# --- the day board ------------------------------------------------------------------------


class BoardQuerySerializer(serializers.Serializer):
    site = serializers.IntegerField(help_text="A site you may see.")
    date = DateField(required=False, help_text="YYYY-MM-DD, the site's local day; default: today there.")


class BoardAssigneeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["person", "team"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class BoardJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Job.Kind.choices)
    status = serializers.ChoiceField(choices=Job.Status.choices)
    plan_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    assignee = serializers.SerializerMethodField()

    @extend_schema_field(BoardAssigneeSerializer(allow_null=True))
    def get_assignee(self, job: Job) -> dict[str, Any] | None:
        if job.assignee_person is not None:
            return {"type": "person", "id": job.assignee_person_id, "name": job.assignee_person.name}
        if job.assignee_team is not None:
            return {"type": "team", "id": job.assignee_team_id, "name": job.assignee_team.name}
        return None


class BoardSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()


class BoardCountsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    missed = serializers.IntegerField()


class BoardSerializer(serializers.Serializer):
    """One site's day: its top-level jobs planned that local day, by where they stand."""

    site = BoardSiteSerializer()
    date = serializers.DateField()
    counts = BoardCountsSerializer()
    planned = BoardJobSerializer(many=True, help_text="Assigned and not yet expired.")
    in_progress = BoardJobSerializer(many=True)
    done = BoardJobSerializer(many=True)
    missed = BoardJobSerializer(many=True, help_text="Auto-closed, partially completed, or assigned past expiry.")
