from __future__ import annotations

from rest_framework import serializers

from apps.assets.models import Asset
from apps.core.api.fields import PointField


class AssetSerializer(serializers.ModelSerializer):
    """An asset or checkpoint; foreign keys travel as ids and are checked by the service."""

    site: serializers.Field = serializers.IntegerField(source="site_id", help_text="Id of a site the caller may see.")
    area = serializers.IntegerField(
        source="area_id", allow_null=True, required=False, help_text="Id of an area (Location) of the same site."
    )
    # The metaclass moves declared fields off the class, so this does not shadow Field.parent.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", allow_null=True, required=False, help_text="Id of an asset of the same site."
    )
    asset_class = serializers.IntegerField(
        source="asset_class_id", allow_null=True, required=False, help_text="Id of a Lookup of kind ASSET_CLASS."
    )
    location = PointField(allow_null=True, required=False)
    meter = serializers.JSONField(
        required=False, help_text='Meter attributes: {"unit": "kWh", "min": 0, "max": 99999, "multiplier": 1}.'
    )

    class Meta:
        model = Asset
        fields = [
            "id",
            "uuid",
            "kind",
            "code",
            "name",
            "status",
            "site",
            "area",
            "parent",
            "asset_class",
            "location",
            "tag",
            "meter",
            "is_active",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "uuid", "version", "created_at", "modified_at"]


class CheckpointSerializer(AssetSerializer):
    """A checkpoint: the same row as an asset, with ``kind`` fixed to CHECKPOINT."""

    class Meta(AssetSerializer.Meta):
        read_only_fields = [*AssetSerializer.Meta.read_only_fields, "kind"]
