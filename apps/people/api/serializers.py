from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import DateField, WholeItemSerializer
from apps.people.models import Person, Role, Team


class TokenObtainSerializer(serializers.Serializer):
    tenant = serializers.SlugField(max_length=50)
    login = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, write_only=True)
    device_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    device_token = serializers.CharField(
        max_length=512,
        required=False,
        allow_blank=True,
        default="",
        help_text="The device_token of this device's last successful sign-in: failed attempts "
        "of others do not slow this device down.",
    )


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=512)
    device_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class RevokeSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=512)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_expires_at = serializers.IntegerField(help_text="Unix time when the refresh token expires.")
    device_token = serializers.CharField(
        required=False,
        help_text="Keep it on the device and send it with its next sign-in (sign-in only, not refresh).",
    )


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name", "capabilities"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    login = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    tenant = serializers.CharField(help_text="Slug of the person's tenant.")
    roles = serializers.ListField(child=serializers.CharField())
    capabilities = serializers.ListField(child=serializers.CharField())
    device_id = serializers.CharField(help_text="Device bound to the person, if any.")


class RoleCodesField(serializers.ListField):
    """Role codes: written as a list of codes, read from the person's (prefetched) roles."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data: Any) -> list[str]:
        roles = data.all() if hasattr(data, "all") else data
        return sorted(role.code if isinstance(role, Role) else str(role) for role in roles)


def _reference(source: str, help_text: str) -> serializers.IntegerField:
    # Read from ``<name>_id`` (no query per row) and handed to the services under that key.
    return serializers.IntegerField(source=source, allow_null=True, required=False, min_value=1, help_text=help_text)


class PersonSerializer(serializers.ModelSerializer):
    """A person's profile. Ids of sites, people, lookups and clients must be of the tenant."""

    roles = RoleCodesField(required=False, help_text="Role codes, e.g. guard, supervisor.")
    home_site = _reference("home_site_id", "Id of the person's home site.")
    reports_to = _reference("reports_to_id", "Id of the person this one reports to.")
    department = _reference("department_id", "Id of a DEPARTMENT lookup.")
    designation = _reference("designation_id", "Id of a DESIGNATION lookup.")
    client = _reference("client_id", "For client viewers: id of the client whose sites they see.")
    photo = serializers.SerializerMethodField(
        help_text="URL of the reference photo (GET it with the same credentials); null when none is set."
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        max_length=256,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Checked against the password rules; setting it ends the person's other sessions.",
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "uuid",
            "login",
            "name",
            "email",
            "is_active",
            "roles",
            "version",
            "code",
            "mobile",
            "home_site",
            "reports_to",
            "department",
            "designation",
            "client",
            "bound_device_id",
            "left_on",
            "photo",
            "password",
        ]
        read_only_fields = ["id", "uuid", "version", "left_on"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo(self, person: Person) -> str | None:
        # The photo endpoint, not a media path: media is not served, and reading the
        # photo needs the same permission and site scope as reading the person.
        if not person.photo:
            return None
        url = reverse("person-photo", kwargs={"pk": person.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class PersonPhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(
        allow_empty_file=True,  # an empty file is answered by the service as ``invalid_image``
        help_text="JPEG, PNG or WebP, recognised by its content (not its name or declared type).",
    )


class PersonDeactivateSerializer(serializers.Serializer):
    left_on = DateField(required=False, help_text="Last working day; today when omitted.")


class SiteAssignmentsSerializer(serializers.Serializer):
    home_site = serializers.IntegerField(allow_null=True, min_value=1)
    sites = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=1000)
    site_groups = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=1000)


class TeamMemberSerializer(WholeItemSerializer):
    person = serializers.IntegerField(source="person_id", min_value=1)
    is_lead = serializers.BooleanField(default=False)


class TeamSerializer(serializers.ModelSerializer):
    members = TeamMemberSerializer(many=True, required=False, source="memberships")

    class Meta:
        model = Team
        fields = ["id", "uuid", "code", "name", "is_active", "members", "version"]
        read_only_fields = ["id", "uuid", "version"]
