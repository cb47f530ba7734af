"""GraphQL types of alerts, timelines and maintenance windows."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.core.graphql import SizedList
from apps.noc.announce import console_path, source_ref
from apps.noc.models import Alert, AlertEvent, MaintenanceWindow

AlertTypeEnum = graphene.Enum.from_enum(Alert.Type, name="AlertTypeEnum", description="What kind of alarm an alert is.")
AlertSeverity = graphene.Enum.from_enum(Alert.Severity, name="AlertSeverity", description="How bad an alert is.")
AlertStatus = graphene.Enum.from_enum(Alert.Status, name="AlertStatus", description="Where an alert stands.")
AlertEventKind = graphene.Enum.from_enum(
    AlertEvent.Kind, name="AlertEventKind", description="What happened to an alert."
)


# An alert's timeline is not paged; the cost rule counts it at this many events.
TIMELINE_COSTED = 10


class AlertPersonType(graphene.ObjectType):
    """A person who acted on an alert: id and name only."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)


class AlertSourceType(graphene.ObjectType):
    """The object that raised an alert."""

    type = graphene.String(required=True, description='"<app>.<model>", e.g. "helpdesk.ticket".')
    id = graphene.ID(required=True)


def _person(person: Any) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "name": person.name}


class AlertEventType(DjangoObjectType):
    """One entry of an alert's timeline; ``actor`` is null for the system."""

    kind = graphene.Field(AlertEventKind, required=True)
    actor = graphene.Field(AlertPersonType)
    data = GenericScalar(required=True, description="Specifics: assignee, escalation level, count...")

    class Meta:
        model = AlertEvent
        fields = ["id", "at", "note", "from_status", "to_status"]

    @staticmethod
    def resolve_kind(root: AlertEvent, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_actor(root: AlertEvent, info: graphene.ResolveInfo) -> dict[str, Any] | None:
        return _person(root.actor)

    @staticmethod
    def resolve_data(root: AlertEvent, info: graphene.ResolveInfo) -> dict[str, Any]:
        return root.data or {}


class AlertType(DjangoObjectType):
    """An alert at one of the caller's sites."""

    type = graphene.Field(AlertTypeEnum, required=True)
    severity = graphene.Field(AlertSeverity, required=True)
    status = graphene.Field(AlertStatus, required=True)
    site_id = graphene.ID(description="Id of the alert's site (null for an alert without one).")
    site_code = graphene.String()
    site_name = graphene.String()
    details = GenericScalar(required=True)
    source = graphene.Field(AlertSourceType)
    acknowledged_by = graphene.Field(AlertPersonType)
    assigned_to = graphene.Field(AlertPersonType)
    resolved_by = graphene.Field(AlertPersonType)
    url = graphene.String(required=True, description="Path of the alert in the web console.")
    timeline = SizedList(
        AlertEventType, max_items=TIMELINE_COSTED, required=True, description="What happened, oldest first."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "uuid",
            "title",
            "dedupe_key",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "escalation_level",
            "escalate_at",
            "acknowledged_at",
            "assigned_at",
            "resolved_at",
            "resolution_note",
            "created_at",
            "modified_at",
        ]

    @staticmethod
    def resolve_type(root: Alert, info: graphene.ResolveInfo) -> str:
        return root.type

    @staticmethod
    def resolve_severity(root: Alert, info: graphene.ResolveInfo) -> str:
        return root.severity

    @staticmethod
    def resolve_status(root: Alert, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_site_id(root: Alert, info: graphene.ResolveInfo) -> int | None:
        return root.site_id

    @staticmethod
    def resolve_site_code(root: Alert, info: graphene.ResolveInfo) -> str | None:
        return root.site.code if root.site is not None else None

    @staticmethod
    def resolve_site_name(root: Alert, info: graphene.ResolveInfo) -> str | None:
        return root.site.name if root.site is not None else None

    @staticmethod
    def resolve_details(root: Alert, info: graphene.ResolveInfo) -> dict[str, Any]:
        return root.details or {}

    @staticmethod
    def resolve_source(root: Alert, info: graphene.ResolveInfo) -> dict[str, Any] | None:
        return source_ref(root)

    @staticmethod
    def resolve_acknowledged_by(root: Alert, info: graphene.ResolveInfo) -> dict[str, Any] | None:
        return _person(root.acknowledged_by)

    @staticmethod
    def resolve_assigned_to(root: Alert, info: graphene.ResolveInfo) -> dict[str, Any] | None:
        return _person(root.assigned_to)

    @staticmethod
    def resolve_resolved_by(root: Alert, info: graphene.ResolveInfo) -> dict[str, Any] | None:
        return _person(root.resolved_by)

    @staticmethod
    def resolve_url(root: Alert, info: graphene.ResolveInfo) -> str:
        return console_path(root)

    @staticmethod
    def resolve_timeline(root: Alert, info: graphene.ResolveInfo) -> Any:
        # Prefetched by the query when selected (see queries.py), so one query for the page.
        return root.events.all()


class MaintenanceWindowType(DjangoObjectType):
    """A period in which alerts at the site are recorded as SUPPRESSED."""

    site_id = graphene.ID(required=True)
    site_code = graphene.String(required=True)
    site_name = graphene.String(required=True)
    created_by_id = graphene.ID()

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "uuid", "starts_at", "ends_at", "reason", "created_at", "modified_at"]

    @staticmethod
    def resolve_site_id(root: MaintenanceWindow, info: graphene.ResolveInfo) -> int:
        return root.site_id

    @staticmethod
    def resolve_site_code(root: MaintenanceWindow, info: graphene.ResolveInfo) -> str:
        return root.site.code

    @staticmethod
    def resolve_site_name(root: MaintenanceWindow, info: graphene.ResolveInfo) -> str:
        return root.site.name

    @staticmethod
    def resolve_created_by_id(root: MaintenanceWindow, info: graphene.ResolveInfo) -> int | None:
        return root.created_by_id
