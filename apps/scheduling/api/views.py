"""REST adapters of scheduling: parse, call the service or selector, render.

Schedules are read with ``sites.view`` or ``schedules.manage`` and written with
``schedules.manage``; jobs are read by those and by workers (``jobs.perform``, their own
jobs only: ``selectors.jobs_for`` decides), started and completed by their assignee or a
planner. Everything is scoped to the sites the caller may see; anything else is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.permissions import ReadWriteCapability
from apps.scheduling import checks, selectors, services
from apps.scheduling.filtersets import JobFilterSet, ScheduleFilterSet
from apps.scheduling.models import Job, Schedule, ScheduleStop

from . import serializers as s

JOB_READERS = (*selectors.SITE_JOB_READERS, *selectors.JOB_PERFORMERS)
PLANNERS = (checks.MANAGE,)
PERFORMERS = (*selectors.JOB_PERFORMERS, checks.MANAGE)

JOB_RELATIONS = ("site", "asset", "checklist_version", "assignee_person", "assignee_team")


def stop_prefetch() -> Prefetch:
    return Prefetch("stops", queryset=ScheduleStop.objects.select_related("checkpoint").order_by("position"))


def job_stops_prefetch() -> Prefetch:
    return Prefetch("stops", queryset=Job.objects.select_related(*JOB_RELATIONS).order_by("seq", "pk"))


def occurrences_body(schedule_or_fields: Any, occurrences: list[dict[str, Any]]) -> dict[str, Any]:
    return {"timezone": services.schedule_timezone(schedule_or_fields), "occurrences": occurrences}


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Schedules at the caller's sites. DELETE disables (jobs keep pointing at the schedule);
    ``enable/`` turns it back on."""

    queryset = Schedule.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.ScheduleSerializer
    filterset_class = ScheduleFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": selectors.SCHEDULE_READERS, "write": PLANNERS}
    ordering_fields = ["name", "created_at", "valid_from"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Schedule]:
        return selectors.schedules_for(self.request.user).prefetch_related(stop_prefetch())

    def get_object(self) -> Schedule:
        return selectors.get_schedule_for(self.request.user, self.kwargs["pk"])

    def _render(self, schedule: Schedule, code: int = status.HTTP_200_OK) -> Response:
        prefetch_related_objects([schedule], stop_prefetch())
        return Response(s.ScheduleSerializer(schedule).data, status=code)

    def _schedule(self, schedule: Schedule, code: int = status.HTTP_200_OK) -> Response:
        """The schedule as the caller now sees it (after a write), with its stops."""
        return self._render(selectors.get_schedule_for(self.request.user, schedule.pk), code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(self.get_object())

    @extend_schema(request=s.ScheduleWriteSerializer, responses={201: s.ScheduleSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a schedule (and its stops); its jobs are planned at once."""
        data = s.ScheduleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services.create_schedule(request.user, **data.service_fields())
        return self._schedule(schedule, status.HTTP_201_CREATED)

    @extend_schema(request=s.ScheduleWriteSerializer, responses={200: s.ScheduleSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change any fields; future jobs not yet started are planned again. ``stops`` replaces them all."""
        data = s.ScheduleWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        schedule = services.update_schedule(request.user, self.get_object(), **data.service_fields())
        return self._schedule(schedule)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Disable: future jobs not yet started are removed; the schedule stays."""
        services.disable_schedule(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.ScheduleSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Enable a disabled schedule; its jobs are planned again from now."""
        return self._schedule(services.enable_schedule(request.user, self.get_object()))

    @extend_schema(request=s.PreviewRequestSerializer, responses={200: s.OccurrencesSerializer})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def preview(self, request: Request) -> Response:
        """The next ``count`` occurrences of a schedule not yet saved (checked like a create)."""
        data = s.PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.service_fields()
        count = fields.pop("count")
        occurrences = services.preview_occurrences(request.user, count=count, **fields)
        return Response(s.OccurrencesSerializer(occurrences_body(fields, occurrences)).data)

    @extend_schema(
        parameters=[OpenApiParameter("count", int, description="How many occurrences: 1-100 (default 10).")],
        responses={200: s.OccurrencesSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def occurrences(self, request: Request, pk: str | None = None) -> Response:
        """The next ``count`` occurrences of the schedule from now."""
        schedule = self.get_object()
        query = s.CountSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        occurrences = services.schedule_occurrences(schedule, count=query.validated_data["count"])
        return Response(s.OccurrencesSerializer(occurrences_body(schedule, occurrences)).data)


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Jobs at the caller's sites (a worker: the jobs assigned to them or their team),
    in plan order. POST plans an ad-hoc task; a job is never deleted."""

    queryset = Job.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.JobSerializer
    filterset_class = JobFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": JOB_READERS, "write": PLANNERS}
    ordering_fields = ["plan_at", "expires_at"]

    def get_queryset(self) -> QuerySet[Job]:
        return selectors.jobs_for(self.request.user).select_related(*JOB_RELATIONS)

    def get_object(self) -> Job:
        return selectors.get_job_for(self.request.user, self.kwargs["pk"])

    def _job(self, job: Job, code: int = status.HTTP_200_OK) -> Response:
        """The job as the caller now sees it, with its joins and a tour's stops."""
        fresh = self.get_queryset().prefetch_related(job_stops_prefetch()).get(pk=job.pk)
        return Response(s.JobDetailSerializer(fresh).data, status=code)

    @extend_schema(responses={200: s.JobDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._job(self.get_object())

    @extend_schema(request=s.AdhocJobSerializer, responses={201: s.JobDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plan an ad-hoc task at one of your sites (schedules.manage)."""
        data = s.AdhocJobSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.create_adhoc_job(request.user, **data.service_fields())
        return self._job(job, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.JobDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        pagination_class=None,
        required_capabilities={"read": JOB_READERS, "write": PERFORMERS},
    )
    def start(self, request: Request, pk: str | None = None) -> Response:
        """ASSIGNED → INPROGRESS (a stop starts its tour too): the assignee, or a planner."""
        return self._job(services.start_job(request.user, self.get_object()))

    @extend_schema(request=s.CompleteSerializer, responses={200: s.JobDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        pagination_class=None,
        required_capabilities={"read": JOB_READERS, "write": PERFORMERS},
    )
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """→ COMPLETED: the assignee, or a planner. The last open stop completes its tour."""
        data = s.CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.complete_job(request.user, self.get_object(), remarks=data.validated_data["remarks"])
        return self._job(job)

    @extend_schema(parameters=[s.BoardQuerySerializer], responses={200: s.BoardSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def board(self, request: Request) -> Response:
        """A site's day (its local date): planned, in progress, done and missed tasks and tours."""
        query = s.BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = selectors.board(request.user, query.validated_data["site"], query.validated_data.get("date"))
        return Response(s.BoardSerializer(board).data)
