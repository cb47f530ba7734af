"""Input types of the scheduling mutations, and their translation to service arguments.

Numbers, ids and texts go to the services as sent, so their error codes reach the client.
"""

from __future__ import annotations

from typing import Any

import graphene

from .types import JobPriority, JobScanType, ScheduleKind


class ScheduleStopInput(graphene.InputObjectType):
    checkpoint_id = graphene.ID(required=True, description="A CHECKPOINT asset of the tour's site.")
    checklist_id = graphene.ID(description="The stop's own checklist (kind CHECKLIST); null: the schedule's.")
    offset_minutes = graphene.Int(description="After the previous stop's planned end (the first: the occurrence).")
    duration_minutes = graphene.Int(description="1-10080; null: the schedule's.")
    grace_minutes = graphene.Int(description="0-10080; null: the schedule's.")


class ScheduleInput(graphene.InputObjectType):
    """A schedule's fields. Creating needs name, kind and validFrom; updating sends any of them."""

    name = graphene.String(description="At most 200 characters.")
    kind = ScheduleKind()
    site_id = graphene.ID(description="A site you may see; null only for external tours.")
    site_group_id = graphene.ID(description="External tours: the site group to visit.")
    cron = graphene.String(description="Five fields in the site's time zone; empty for dynamic tours.")
    valid_from = graphene.DateTime()
    valid_until = graphene.DateTime()
    duration_minutes = graphene.Int(description="1-10080 (default 30).")
    grace_minutes = graphene.Int(description="0-10080 (default 15).")
    assignee_person_id = graphene.ID(description="A person with jobs.perform who may work at the site.")
    assignee_team_id = graphene.ID(description="A team with at least one such member.")
    priority = JobPriority()
    scan_type = JobScanType()
    checklist_id = graphene.ID()
    asset_id = graphene.ID(description="PPM: the asset maintained.")
    is_dynamic = graphene.Boolean(description="Tours only: the next instance is planned on completion.")
    random_order = graphene.Boolean(description="External tours: visit order shuffled per occurrence.")
    rounds = graphene.Int(description="External tours: 1-3.")
    break_minutes = graphene.Int(description="External tours: 0-1440 minutes between rounds.")
    travel_minutes = graphene.Int(description="External tours: 0-1440 minutes between visits.")
    reminder_offsets = graphene.List(graphene.NonNull(graphene.Int), description="PPM: up to 5, 1-43200 minutes.")
    notify_person_ids = graphene.List(graphene.NonNull(graphene.ID), description="PPM: reminded besides the assignee.")
    email_on_miss = graphene.Boolean(description="null: the company's default.")
    ticket_on_miss = graphene.Boolean(description="null: the company's default.")
    ticket_category_id = graphene.ID()
    stops = graphene.List(graphene.NonNull(ScheduleStopInput), description="Internal tours: every stop, in order.")


class AdhocJobInput(graphene.InputObjectType):
    site_id = graphene.ID(required=True)
    title = graphene.String(required=True, description="At most 200 characters.")
    plan_at = graphene.DateTime(required=True)
    duration_minutes = graphene.Int(description="1-10080 (default 30).")
    grace_minutes = graphene.Int(description="0-10080 (default 15).")
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    checklist_id = graphene.ID()
    asset_id = graphene.ID()
    priority = JobPriority()
    scan_type = JobScanType()
    remarks = graphene.String()


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def _service_name(name: str) -> str:
    # checkpoint_id -> checkpoint, site_id -> site; notify_person_ids is the model's own name.
    return name.removesuffix("_id")


def _given(data: Any) -> dict[str, Any]:
    """The input fields that were sent (omitted ones are left alone), under service names."""
    return {_service_name(name): _enum(value) for name, value in data.items()}


def schedule_fields(data: Any) -> dict[str, Any]:
    fields = _given(data)
    if fields.get("stops") is not None:
        fields["stops"] = [_given(stop) for stop in fields["stops"]]
    return fields


def adhoc_job_fields(data: Any) -> dict[str, Any]:
    return _given(data)
