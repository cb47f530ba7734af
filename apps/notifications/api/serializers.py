from __future__ import annotations

from rest_framework import serializers

from apps.notifications import events
from apps.notifications.models import NotificationLog, Webhook, WebhookDelivery
from apps.notifications.netguard import MAX_URL_LENGTH
from apps.notifications.services import MAX_PREFERENCES, MAX_WEBHOOK_EVENTS


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as listed and read: never its secret. Rules are checked by the service."""

    # Lengths and counts are checked by the service, which answers with its own codes
    # (invalid_url, unknown_event, too_many_events).
    url = serializers.CharField(
        trim_whitespace=False,
        help_text=f"http(s) URL that receives the POSTs, at most {MAX_URL_LENGTH} characters, without credentials.",
    )
    events = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False),
        help_text=(
            f"At most {MAX_WEBHOOK_EVENTS} event names ({', '.join(events.EVENTS)}) "
            f"or prefixes ({', '.join(events.families())})."
        ),
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = Webhook
        fields = [
            "id",
            "uuid",
            "url",
            "events",
            "active",
            "description",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "uuid", "version", "created_at", "modified_at"]


class WebhookWithSecretSerializer(WebhookSerializer):
    """The answer to creation and rotation: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True, help_text="Signing secret. Store it now: it is not shown again.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook = serializers.IntegerField(source="webhook_id", read_only=True)
    replay_of = serializers.IntegerField(source="replay_of_id", read_only=True, allow_null=True)
    payload = serializers.JSONField(read_only=True, help_text="The event's data, sent as `data` in the body.")
    response_excerpt = serializers.CharField(
        source="visible_excerpt",
        read_only=True,
        help_text=(
            "The first KiB of the receiver's last answer, only when the installation keeps answers "
            "(never from a private network); empty otherwise."
        ),
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uuid",
            "webhook",
            "event",
            "payload",
            "status",
            "attempts",
            "response_code",
            "response_excerpt",
            "error_code",
            "last_error",
            "next_attempt_at",
            "duration_ms",
            "delivered_at",
            "replay_of",
            "created_at",
        ]
        read_only_fields = fields


class NotificationLogSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id", read_only=True, allow_null=True)
    site = serializers.IntegerField(source="site_id", read_only=True, allow_null=True)

    class Meta:
        model = NotificationLog
        fields = [
            "id",
            "uuid",
            "event",
            "person",
            "email",
            "site",
            "subject",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class NotificationLogDetailSerializer(NotificationLogSerializer):
    class Meta(NotificationLogSerializer.Meta):
        fields = [*NotificationLogSerializer.Meta.fields, "body_text", "body_html"]
        read_only_fields = fields


class PreferenceSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="An event name or a prefix (ticket.*).")
    muted = serializers.BooleanField()


class PreferencesWriteSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True, help_text=f"At most {MAX_PREFERENCES}; replaces all of them.")


class EventSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


class PreferencesSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True)
    events = EventSerializer(many=True, help_text="The events one can mute.")
    families = serializers.ListField(child=serializers.CharField(), help_text="Prefixes that mute a whole family.")
