"""Schedule and job mutations: parse, call the service, return the row as the caller sees it.

Domain errors reach the client with their code in ``extensions.code`` and their details
(``details.field`` names the input at fault) in ``extensions.details``, as in REST.
"""

from __future__ import annotations

from typing import Any

import graphene

from apps.scheduling import selectors, services

from .inputs import AdhocJobInput, ScheduleInput, adhoc_job_fields, schedule_fields
from .queries import JOB_RELATIONS, PERFORMERS, PLANNERS, job_lookups, require_any, schedule_lookups
from .types import JobType, ScheduleType


def _schedule(user: Any, info: Any, pk: int) -> Any:
    """The schedule written, read back as the caller sees it with what the payload selects."""
    return selectors.schedules_for(user).prefetch_related(*schedule_lookups(info, "schedule")).get(pk=pk)


def _job(user: Any, info: Any, pk: int) -> Any:
    """The job written, read back as the caller sees it with what the payload selects."""
    return (
        selectors.jobs_for(user).select_related(*JOB_RELATIONS).prefetch_related(*job_lookups(info, "job")).get(pk=pk)
    )


class CreateSchedule(graphene.Mutation):
    """Create a schedule (schedules.manage); its jobs are planned at once."""

    class Arguments:
        input = ScheduleInput(required=True)

    schedule = graphene.Field(ScheduleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateSchedule:
        user = require_any(info, PLANNERS)
        schedule = services.create_schedule(user, **schedule_fields(input))
        return CreateSchedule(schedule=_schedule(user, info, schedule.pk))


class UpdateSchedule(graphene.Mutation):
    """Change a schedule; its future jobs not yet started are planned again."""

    class Arguments:
        id = graphene.ID(required=True)
        input = ScheduleInput(required=True)

    schedule = graphene.Field(ScheduleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateSchedule:
        user = require_any(info, PLANNERS)
        schedule = services.update_schedule(user, selectors.get_schedule_for(user, id), **schedule_fields(input))
        return UpdateSchedule(schedule=_schedule(user, info, schedule.pk))


class DisableSchedule(graphene.Mutation):
    """Disable a schedule: its future jobs not yet started are removed."""

    class Arguments:
        id = graphene.ID(required=True)

    schedule = graphene.Field(ScheduleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DisableSchedule:
        user = require_any(info, PLANNERS)
        schedule = services.disable_schedule(user, selectors.get_schedule_for(user, id))
        return DisableSchedule(schedule=_schedule(user, info, schedule.pk))


class EnableSchedule(graphene.Mutation):
    """Enable a disabled schedule; its jobs are planned again from now."""

    class Arguments:
        id = graphene.ID(required=True)

    schedule = graphene.Field(ScheduleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> EnableSchedule:
        user = require_any(info, PLANNERS)
        schedule = services.enable_schedule(user, selectors.get_schedule_for(user, id))
        return EnableSchedule(schedule=_schedule(user, info, schedule.pk))


class CreateAdhocJob(graphene.Mutation):
    """Plan an ad-hoc task at one of the caller's sites (schedules.manage)."""

    class Arguments:
        input = AdhocJobInput(required=True)

    job = graphene.Field(JobType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateAdhocJob:
        user = require_any(info, PLANNERS)
        job = services.create_adhoc_job(user, **adhoc_job_fields(input))
        return CreateAdhocJob(job=_job(user, info, job.pk))


class StartJob(graphene.Mutation):
    """ASSIGNED → INPROGRESS (a stop starts its tour too): the assignee, or a planner."""

    class Arguments:
        id = graphene.ID(required=True)

    job = graphene.Field(JobType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> StartJob:
        user = require_any(info, PERFORMERS)
        job = services.start_job(user, selectors.get_job_for(user, id))
        return StartJob(job=_job(user, info, job.pk))


class CompleteJob(graphene.Mutation):
    """→ COMPLETED: the assignee, or a planner. The last open stop completes its tour."""

    class Arguments:
        id = graphene.ID(required=True)
        remarks = graphene.String()

    job = graphene.Field(JobType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, remarks: str = "") -> CompleteJob:
        user = require_any(info, PERFORMERS)
        job = services.complete_job(user, selectors.get_job_for(user, id), remarks=remarks or "")
        return CompleteJob(job=_job(user, info, job.pk))


class SchedulingMutations(graphene.ObjectType):
    create_schedule = CreateSchedule.Field()
    update_schedule = UpdateSchedule.Field()
    disable_schedule = DisableSchedule.Field()
    enable_schedule = EnableSchedule.Field()
    create_adhoc_job = CreateAdhocJob.Field()
    start_job = StartJob.Field()
    complete_job = CompleteJob.Field()
