"""REST shapes of alerts, their timelines and maintenance windows.

An alert here has exactly the keys of the dashboard's WebSocket message
(``apps.noc.announce.alert_json``), so a dashboard that fetched the list and one that
was told over the socket hold the same thing.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import DateTimeField
from apps.noc.announce import console_path, source_ref
from apps.noc.models import Alert, AlertEvent, MaintenanceWindow


class AlertPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AlertSourceSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text='"<app>.<model>" of the object that raised the alert, e.g. "helpdesk.ticket".'
    )
    id = serializers.IntegerField()


class AlertSerializer(serializers.ModelSerializer):
    """An alert with its site and the people who acted on it."""

    site_id = serializers.IntegerField(read_only=True, allow_null=True)
    site_code = serializers.CharField(source="site.code", read_only=True, allow_null=True, default=None)
    site_name = serializers.CharField(source="site.name", read_only=True, allow_null=True, default=None)
    details = serializers.JSONField(read_only=True)
    # The metaclass moves declared fields off the class, so these do not shadow Field.source/Serializer.data.
    source = serializers.SerializerMethodField()  # type: ignore[assignment]
    acknowledged_by = AlertPersonSerializer(read_only=True, allow_null=True)
    assigned_to = AlertPersonSerializer(read_only=True, allow_null=True)
    resolved_by = AlertPersonSerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="Path of the alert in the web console.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "uuid",
            "type",
            "severity",
            "status",
            "title",
            "site_id",
            "site_code",
            "site_name",
            "details",
            "source",
            "dedupe_key",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "escalation_level",
            "escalate_at",
            "acknowledged_at",
            "acknowledged_by",
            "assigned_to",
            "assigned_at",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "created_at",
            "modified_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(AlertSourceSerializer(allow_null=True))
    def get_source(self, alert: Alert) -> dict[str, Any] | None:
        return source_ref(alert)

    def get_url(self, alert: Alert) -> str:
        return console_path(alert)


class AlertEventSerializer(serializers.ModelSerializer):
    """One timeline entry; ``actor`` is null for the system."""

    actor = AlertPersonSerializer(read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = AlertEvent
        fields = ["id", "kind", "at", "actor", "note", "from_status", "to_status", "data"]
        read_only_fields = fields


class AlertDetailSerializer(AlertSerializer):
    """An alert with its timeline, oldest entry first."""

    timeline = AlertEventSerializer(source="events", many=True, read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


NOTE_HELP = "Free text, at most 2,000 characters."


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=NOTE_HELP)


class AlertRequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=f"Required. {NOTE_HELP}")


class AlertAssignSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of an active person who may see the alert's site."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=NOTE_HELP)


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    """A period in which alerts at the site are recorded as SUPPRESSED."""

    site = serializers.IntegerField(source="site_id", help_text="Id of a site the caller may see.")
    site_code = serializers.CharField(source="site.code", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    reason = serializers.CharField(allow_blank=True, help_text="Required, at most 500 characters.")
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "uuid",
            "site",
            "site_code",
            "site_name",
            "starts_at",
            "ends_at",
            "reason",
            "created_by",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "uuid", "created_by", "created_at", "modified_at"]
