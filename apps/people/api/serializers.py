from __future__ import annotations

from rest_framework import serializers

from apps.people.models import Person, Role


class TokenObtainSerializer(serializers.Serializer):
    tenant = serializers.SlugField(max_length=50)
    login = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, write_only=True)
    device_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


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


class PersonSerializer(serializers.ModelSerializer):
    roles: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Person
        fields = ["id", "uuid", "login", "name", "email", "is_active", "roles", "version"]
        read_only_fields = fields
