"""Webhook and preference mutations: parse, call the service, return; errors carry ``extensions.code``."""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.graphql import SizedList, require_capability, require_user
from apps.notifications import selectors, services

from .types import NotificationPreferenceType, WebhookDeliveryType, WebhookType

MANAGE = "admin.manage"


class WebhookInput(graphene.InputObjectType):
    """Fields of a webhook; on update only the fields given change."""

    url = graphene.String(description="http(s) URL, at most 2048 characters, without credentials.")
    events = graphene.List(graphene.NonNull(graphene.String), description="Event names or prefixes (alert.*).")
    active = graphene.Boolean()
    description = graphene.String()


def _fields(data: Any) -> dict[str, Any]:
    return {name: data[name] for name in services.WEBHOOK_FIELDS if name in data}


class CreateWebhook(graphene.Mutation):
    """Register a webhook (needs admin.manage); the answer carries its signing secret, shown only now."""

    class Arguments:
        input = WebhookInput(required=True)

    webhook = graphene.Field(WebhookType, required=True)
    secret = graphene.String(required=True, description="Signing secret. Store it now: it is not shown again.")

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateWebhook:
        user = require_capability(info, MANAGE)
        webhook, secret = services.create_webhook(user, **_fields(input))
        return CreateWebhook(webhook=webhook, secret=secret)


class UpdateWebhook(graphene.Mutation):
    """Change a webhook (needs admin.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        input = WebhookInput(required=True)

    webhook = graphene.Field(WebhookType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateWebhook:
        user = require_capability(info, MANAGE)
        webhook = services.update_webhook(user, selectors.get_webhook(id), **_fields(input))
        return UpdateWebhook(webhook=webhook)


class DeleteWebhook(graphene.Mutation):
    """Delete a webhook with its delivery history (needs admin.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    deleted = graphene.Boolean(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeleteWebhook:
        user = require_capability(info, MANAGE)
        services.delete_webhook(user, selectors.get_webhook(id))
        return DeleteWebhook(deleted=True)


class RotateWebhookSecret(graphene.Mutation):
    """Replace a webhook's signing secret at once (needs admin.manage); the new one is shown only now."""

    class Arguments:
        id = graphene.ID(required=True)

    webhook = graphene.Field(WebhookType, required=True)
    secret = graphene.String(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> RotateWebhookSecret:
        user = require_capability(info, MANAGE)
        webhook, secret = services.rotate_secret(user, selectors.get_webhook(id))
        return RotateWebhookSecret(webhook=webhook, secret=secret)


class PingWebhook(graphene.Mutation):
    """Queue a `ping` test event to one webhook (needs admin.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    delivery = graphene.Field(WebhookDeliveryType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> PingWebhook:
        user = require_capability(info, MANAGE)
        return PingWebhook(delivery=services.ping_webhook(user, selectors.get_webhook(id)))


class ReplayWebhookDelivery(graphene.Mutation):
    """Send a delivery's event and payload again as a new delivery (needs admin.manage)."""

    class Arguments:
        webhook_id = graphene.ID(required=True)
        delivery_id = graphene.ID(required=True)

    delivery = graphene.Field(WebhookDeliveryType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, webhook_id: str, delivery_id: str) -> ReplayWebhookDelivery:
        user = require_capability(info, MANAGE)
        original = selectors.get_delivery(selectors.get_webhook(webhook_id), delivery_id)
        return ReplayWebhookDelivery(delivery=services.replay_delivery(user, original))


class PreferenceInput(graphene.InputObjectType):
    event = graphene.String(required=True, description="An event name or a prefix (ticket.*).")
    muted = graphene.Boolean(required=True)


class SetMyNotificationPreferences(graphene.Mutation):
    """Replace the signed-in person's notification preferences."""

    class Arguments:
        preferences = graphene.List(graphene.NonNull(PreferenceInput), required=True)

    preferences = SizedList(NotificationPreferenceType, max_items=services.MAX_PREFERENCES, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, preferences: list[Any]) -> SetMyNotificationPreferences:
        person = require_user(info)
        rows = services.set_preferences(person, [{"event": p.event, "muted": p.muted} for p in preferences])
        return SetMyNotificationPreferences(
            preferences=[NotificationPreferenceType(event=row.event, muted=row.muted) for row in rows]
        )


class NotificationMutations(graphene.ObjectType):
    create_webhook = CreateWebhook.Field()
    update_webhook = UpdateWebhook.Field()
    delete_webhook = DeleteWebhook.Field()
    rotate_webhook_secret = RotateWebhookSecret.Field()
    ping_webhook = PingWebhook.Field()
    replay_webhook_delivery = ReplayWebhookDelivery.Field()
    set_my_notification_preferences = SetMyNotificationPreferences.Field()
