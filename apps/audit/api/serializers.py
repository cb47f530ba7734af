from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.audit.models import ChangeLog
from apps.audit.selectors import type_label


class ChangeLogSerializer(serializers.ModelSerializer):
    """One change of one object, or one bulk write (``count`` rows, the first in ``object_ids``)."""

    actor = serializers.IntegerField(
        source="actor_id", read_only=True, allow_null=True, help_text="The person, if one acted."
    )
    object_type = serializers.SerializerMethodField(help_text="The changed object's type, as app.model.")
    related_type = serializers.SerializerMethodField(help_text="The related object's type, as app.model.")
    changes = serializers.JSONField(
        read_only=True,
        help_text='{field: [before, after]}; secrets read "********"; a replacement: {"rows": [removed, created]}.',
    )

    class Meta:
        model = ChangeLog
        fields = [
            "id",
            "time",
            "actor",
            "actor_label",
            "door",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "related_type",
            "related_id",
            "changes",
            "count",
            "object_ids",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_object_type(self, entry: ChangeLog) -> Any:
        return type_label(entry.object_type_id)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_related_type(self, entry: ChangeLog) -> Any:
        return type_label(entry.related_type_id)
