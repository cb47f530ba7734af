from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from apps.core.errors import NotFound
from apps.core.graphql import SizedList, require_capability, require_user
from apps.notifications import events, selectors, services
from apps.notifications.filtersets import NotificationLogFilterSet, WebhookDeliveryFilterSet, WebhookFilterSet

from .types import (
    DeliveryStatus,
    NotificationEventType,
    NotificationLogType,
    NotificationPreferenceType,
    NotificationStatus,
    WebhookDeliveryType,
    WebhookType,
)

MANAGE = "admin.manage"
MAX_PAGE = 500


def _page(filterset_class: Any, queryset: Any, data: dict[str, Any], first: int, offset: int) -> Any:
    if not 0 < first <= MAX_PAGE or offset < 0:
        raise GraphQLError(f"first is 1-{MAX_PAGE} and offset at least 0.", extensions={"code": "invalid_page"})
    values = {key: getattr(value, "value", value) for key, value in data.items() if value is not None}
    filterset = filterset_class(values, queryset=queryset)
    if not filterset.is_valid():
        raise GraphQLError(
            "The filter is not valid.", extensions={"code": "invalid", "details": {"fields": filterset.errors}}
        )
    return filterset.qs[offset : offset + first]


def _paging() -> dict[str, Any]:
    return {
        "first": graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        "offset": graphene.Int(default_value=0),
    }


class NotificationQueries(graphene.ObjectType):
    webhooks = SizedList(
        WebhookType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        active=graphene.Boolean(),
        description="Webhooks of the caller's tenant (needs admin.manage).",
        **_paging(),
    )
    webhook = graphene.Field(
        WebhookType, id=graphene.ID(required=True), description="One webhook, or null (needs admin.manage)."
    )
    webhook_deliveries = SizedList(
        WebhookDeliveryType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        webhook_id=graphene.ID(required=True),
        status=DeliveryStatus(),
        event=graphene.String(),
        description="Deliveries of one webhook, newest first (needs admin.manage).",
        **_paging(),
    )
    notification_logs = SizedList(
        NotificationLogType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        status=NotificationStatus(),
        event=graphene.String(),
        person_id=graphene.ID(),
        site_id=graphene.ID(),
        description="E-mail notifications, newest first (needs admin.manage).",
        **_paging(),
    )
    my_notification_preferences = SizedList(
        NotificationPreferenceType,
        max_items=services.MAX_PREFERENCES,
        required=True,
        description="The signed-in person's notification preferences.",
    )
    notification_events = SizedList(
        NotificationEventType,
        max_items=len(events.EVENTS),
        required=True,
        description="Events that can be muted or subscribed to (prefixes such as ticket.* too).",
    )

    @staticmethod
    def resolve_webhooks(root: object, info: Any, active: Any = None, first: int = 100, offset: int = 0) -> Any:
        require_capability(info, MANAGE)
        return _page(WebhookFilterSet, selectors.webhooks(), {"active": active}, first, offset)

    @staticmethod
    def resolve_webhook(root: object, info: Any, id: str) -> Any:
        require_capability(info, MANAGE)
        try:
            return selectors.get_webhook(id)
        except NotFound:
            return None

    @staticmethod
    def resolve_webhook_deliveries(
        root: object,
        info: Any,
        webhook_id: str,
        status: Any = None,
        event: Any = None,
        first: int = 100,
        offset: int = 0,
    ) -> Any:
        require_capability(info, MANAGE)
        try:
            webhook = selectors.get_webhook(webhook_id)
        except NotFound:
            return []
        data = {"status": [getattr(status, "value", status)] if status is not None else None, "event": event}
        return _page(WebhookDeliveryFilterSet, selectors.deliveries_of(webhook), data, first, offset)

    @staticmethod
    def resolve_notification_logs(
        root: object,
        info: Any,
        status: Any = None,
        event: Any = None,
        person_id: Any = None,
        site_id: Any = None,
        first: int = 100,
        offset: int = 0,
    ) -> Any:
        user = require_capability(info, MANAGE)
        data = {
            "status": [getattr(status, "value", status)] if status is not None else None,
            "event": event,
            "person": person_id,
            "site": site_id,
        }
        return _page(NotificationLogFilterSet, selectors.notification_logs_for(user), data, first, offset)

    @staticmethod
    def resolve_my_notification_preferences(root: object, info: Any) -> Any:
        person = require_user(info)
        return [
            NotificationPreferenceType(event=row.event, muted=row.muted) for row in selectors.preferences_of(person)
        ]

    @staticmethod
    def resolve_notification_events(root: object, info: Any) -> Any:
        require_user(info)
        return [NotificationEventType(name=name, description=text) for name, text in events.EVENTS.items()]
