"""Shapes of the sites API. They parse and render only; rules live in ``services.py``.

Foreign keys travel as plain ids (``client``, ``site``, ...) and are resolved by the
services, which answer ``unknown_<thing>`` for an id that does not exist, belongs to
another tenant or lies outside the caller's sites.
"""

from __future__ import annotations

from rest_framework import serializers

from apps.core.api.fields import DateField, PointField, PolygonField

from ..models import Site, SiteGroup


class ClientSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    contract_start = DateField(required=False, allow_null=True)
    contract_end = DateField(required=False, allow_null=True)
    preferences = serializers.JSONField(required=False)
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)


class SiteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    client = serializers.IntegerField(source="client_id", help_text="Id of the client.")
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(required=False, allow_blank=True)
    location = PointField()
    geofence = PolygonField(required=False, allow_null=True)
    radius_m = serializers.IntegerField(required=False, min_value=0, max_value=100_000)
    timezone = serializers.CharField(required=False, max_length=64)
    in_charge = serializers.IntegerField(source="in_charge_id", required=False, allow_null=True)
    options = serializers.JSONField(required=False)
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)
    distance_m = serializers.SerializerMethodField(help_text="Metres from the `near` point, when one is given.")

    def get_distance_m(self, site: Site) -> float | None:
        distance = getattr(site, "distance", None)
        return round(distance.m, 2) if distance is not None else None


class _MemberSites(serializers.ListField):
    """Ordered ids of a group's sites; on input, the new members in that order."""

    child: serializers.Field = serializers.IntegerField()

    def get_attribute(self, instance: SiteGroup) -> list[int]:
        return [member.site_id for member in instance.members.all()]


class SiteGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    sites = _MemberSites(source="site_ids", required=False, help_text="Site ids, in route order.")
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)


class ShiftSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    site = serializers.IntegerField(source="site_id")
    name = serializers.CharField(max_length=100)
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    headcount = serializers.IntegerField(required=False)
    designation = serializers.IntegerField(source="designation_id", required=False, allow_null=True)
    overnight = serializers.BooleanField(read_only=True, help_text="Ends on the next day.")
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    site = serializers.IntegerField(source="site_id")
    parent = serializers.IntegerField(source="parent_id", required=False, allow_null=True)  # type: ignore[assignment]
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(read_only=True)


class SiteAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    person = serializers.IntegerField(source="person_id")
    site = serializers.IntegerField(source="site_id", required=False, allow_null=True)
    site_group = serializers.IntegerField(source="site_group_id", required=False, allow_null=True)
    version = serializers.IntegerField(read_only=True)


class SiteChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    client = serializers.IntegerField()
    timezone = serializers.CharField()
    radius_m = serializers.IntegerField()
    location = PointField()
    geofence = PolygonField(allow_null=True)
