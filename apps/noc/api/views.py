"""REST adapters for alerts and maintenance windows: parse, call the service, render.

Reading alerts needs ``noc.view``; acting on them ``noc.manage``. Maintenance windows are
read with ``noc.view``, ``noc.manage`` or ``sites.manage`` and written with ``noc.manage``
or ``sites.manage``. Rows come from ``apps.noc.selectors``: another tenant's or another
site's alert is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.permissions import ReadWriteCapability
from apps.noc import selectors, services
from apps.noc.filtersets import AlertFilterSet, MaintenanceWindowFilterSet
from apps.noc.models import Alert, MaintenanceWindow

from . import serializers as s

ACTION_ERRORS = (
    "Errors: `invalid_transition` (409: the alert's status does not allow it), `note_too_long` "
    "(over 2,000 characters), `invalid_note`."
)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts of the caller's sites, newest first; the detail carries the timeline.

    A dashboard that connects late lists the open alerts here (`?open=true`), then follows
    `/ws/noc/` for `alert.created` and `alert.updated`.
    """

    queryset = Alert.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.AlertSerializer
    filterset_class = AlertFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": ("noc.view",), "write": ("noc.manage",)}
    ordering_fields = ["first_seen_at", "last_seen_at", "occurrences", "escalation_level"]

    def get_queryset(self) -> QuerySet[Alert]:
        return selectors.alerts_for(self.request.user, with_timeline=self.action == "retrieve")

    def get_serializer_class(self) -> Any:
        return s.AlertSerializer if self.action == "list" else s.AlertDetailSerializer

    def _detail(self, alert: Alert) -> Response:
        fresh = selectors.get_alert_for(self.request.user, alert.pk, with_timeline=True)
        return Response(s.AlertDetailSerializer(fresh).data)

    @extend_schema(
        request=s.AlertNoteSerializer,
        responses={200: s.AlertDetailSerializer},
        description=f"NEW, ESCALATED or SUPPRESSED to ACKNOWLEDGED; stops escalation. {ACTION_ERRORS}",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        data = s.AlertNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.acknowledge_alert(request.user, self.get_object(), note=data.validated_data["note"])
        return self._detail(alert)

    @extend_schema(
        request=s.AlertAssignSerializer,
        responses={200: s.AlertDetailSerializer},
        description=(
            "Any open status to ASSIGNED (acknowledging it if nobody had). "
            f"Also `unknown_assignee`, `assignee_cannot_see_site`. {ACTION_ERRORS}"
        ),
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        data = s.AlertAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.assign_alert(
            request.user,
            self.get_object(),
            assignee_id=data.validated_data["person"],
            note=data.validated_data["note"],
        )
        return self._detail(alert)

    @extend_schema(
        request=s.AlertRequiredNoteSerializer,
        responses={200: s.AlertDetailSerializer},
        description=f"Any open status to RESOLVED; the note is required (`note_required`). {ACTION_ERRORS}",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        data = s.AlertRequiredNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.resolve_alert(request.user, self.get_object(), note=data.validated_data["note"])
        return self._detail(alert)

    @extend_schema(
        request=s.AlertRequiredNoteSerializer,
        responses={200: s.AlertDetailSerializer},
        description="Adds a note to the timeline in any status (`note_required`, `note_too_long`).",
    )
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        data = s.AlertRequiredNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.comment_alert(request.user, self.get_object(), note=data.validated_data["note"])
        return self._detail(alert)


class MaintenanceWindowViewSet(viewsets.ModelViewSet):
    """Maintenance windows of the caller's sites: alerts raised at the site while one is in
    force are recorded as SUPPRESSED and kept off the dashboard (`?status=SUPPRESSED` on
    the alerts list shows them). Errors: `unknown_site`, `invalid_window` (ends before it
    starts), `window_too_long` (over 31 days), `reason_required`, `reason_too_long`."""

    queryset = MaintenanceWindow.objects.all()
    serializer_class = s.MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {
        "read": ("noc.view", "noc.manage", "sites.manage"),
        "write": ("noc.manage", "sites.manage"),
    }
    ordering_fields = ["starts_at", "ends_at"]

    def get_queryset(self) -> QuerySet[MaintenanceWindow]:
        return selectors.windows_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_maintenance_window(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_maintenance_window(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.delete_maintenance_window(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
