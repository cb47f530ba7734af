"""GraphQL types of notifications and webhooks. A webhook's secret is never a field."""

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.notifications.models import NotificationLog, Webhook, WebhookDelivery

DeliveryStatus = graphene.Enum.from_enum(
    WebhookDelivery.Status, name="WebhookDeliveryStatus", description="Where a webhook delivery stands."
)
NotificationStatus = graphene.Enum.from_enum(
    NotificationLog.Status, name="NotificationStatus", description="Where an e-mail notification stands."
)


class WebhookType(DjangoObjectType):
    """A webhook of the caller's tenant (the signing secret is shown only on creation and rotation)."""

    events = graphene.List(graphene.NonNull(graphene.String), required=True, description="Event names or prefixes.")

    class Meta:
        model = Webhook
        fields = [
            "id",
            "uuid",
            "url",
            "active",
            "description",
            "version",
            "created_at",
            "modified_at",
        ]

    @staticmethod
    def resolve_events(root: Webhook, info: graphene.ResolveInfo) -> list[str]:
        return list(root.events)


class WebhookDeliveryType(DjangoObjectType):
    """One event sent (or to be sent) to a webhook, with the outcome of its last attempt."""

    status = graphene.Field(DeliveryStatus, required=True)
    payload = GenericScalar(required=True, description="The event's data, sent as `data` in the body.")
    webhook_id = graphene.ID(required=True)
    replay_of_id = graphene.ID(description="The delivery this one replays.")
    response_excerpt = graphene.String(
        required=True,
        description=(
            "The first KiB of the receiver's last answer, only when the installation keeps answers "
            "(never from a private network); empty otherwise."
        ),
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uuid",
            "event",
            "attempts",
            "response_code",
            "error_code",
            "last_error",
            "next_attempt_at",
            "duration_ms",
            "delivered_at",
            "created_at",
        ]

    @staticmethod
    def resolve_status(root: WebhookDelivery, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_payload(root: WebhookDelivery, info: graphene.ResolveInfo) -> dict:
        return root.payload

    @staticmethod
    def resolve_webhook_id(root: WebhookDelivery, info: graphene.ResolveInfo) -> int:
        return root.webhook_id

    @staticmethod
    def resolve_response_excerpt(root: WebhookDelivery, info: graphene.ResolveInfo) -> str:
        return root.visible_excerpt

    @staticmethod
    def resolve_replay_of_id(root: WebhookDelivery, info: graphene.ResolveInfo) -> int | None:
        return root.replay_of_id


class NotificationLogType(DjangoObjectType):
    """One e-mail to one person: pending, sent, failed or skipped, and why."""

    status = graphene.Field(NotificationStatus, required=True)
    person_id = graphene.ID(description="The recipient.")
    site_id = graphene.ID(description="The site the e-mail was about.")

    class Meta:
        model = NotificationLog
        fields = [
            "id",
            "uuid",
            "event",
            "email",
            "subject",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
        ]

    @staticmethod
    def resolve_status(root: NotificationLog, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_person_id(root: NotificationLog, info: graphene.ResolveInfo) -> int | None:
        return root.person_id

    @staticmethod
    def resolve_site_id(root: NotificationLog, info: graphene.ResolveInfo) -> int | None:
        return root.site_id


class NotificationPreferenceType(graphene.ObjectType):
    """One of the signed-in person's choices: an event name or prefix, muted or not."""

    event = graphene.String(required=True)
    muted = graphene.Boolean(required=True)


class NotificationEventType(graphene.ObjectType):
    """An event one can subscribe a webhook to or mute."""

    name = graphene.String(required=True)
    description = graphene.String(required=True)
