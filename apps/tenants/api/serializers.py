from __future__ import annotations

from rest_framework import serializers

from apps.tenants.models import Lookup


class LookupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lookup
        fields = ["id", "uuid", "kind", "code", "name", "position", "is_active", "version"]
        read_only_fields = ["id", "uuid", "version"]

    def validate_kind(self, value: str) -> str:
        # Rows of other models point at an entry as a department, a designation...: its kind is fixed.
        if self.instance is not None and value != self.instance.kind:
            raise serializers.ValidationError("The kind of a lookup cannot change.", code="kind_immutable")
        return value
