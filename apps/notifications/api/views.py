"""REST adapters for webhooks, e-mail logs and one's own notification preferences."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasCapability
from apps.notifications import events, selectors, services
from apps.notifications.filtersets import NotificationLogFilterSet, WebhookDeliveryFilterSet, WebhookFilterSet
from apps.notifications.models import NotificationLog, Webhook
from apps.people.models import Person

from . import serializers as s

_DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Delivery id.")


def _with_secret(webhook: Webhook, secret: str) -> dict[str, Any]:
    return {**s.WebhookSerializer(webhook).data, "secret": secret}


class WebhookViewSet(viewsets.ModelViewSet):
    """Webhooks of the tenant (needs ``admin.manage``). The secret is in the answers to
    creation and rotation only. DELETE removes the webhook with its delivery history."""

    queryset = Webhook.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.WebhookSerializer
    filterset_class = WebhookFilterSet
    permission_classes = [HasCapability]
    required_capability = "admin.manage"
    ordering_fields = ["id", "url", "created_at"]

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhooks()

    @extend_schema(responses={201: s.WebhookWithSecretSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook, secret = services.create_webhook(request.user, **data.validated_data)
        return Response(_with_secret(webhook, secret), status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_webhook(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Webhook) -> None:
        services.delete_webhook(self.request.user, instance)

    @extend_schema(request=None, responses={200: s.WebhookWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[], pagination_class=None)
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Replace the signing secret at once and show the new one (the only time it is shown)."""
        webhook, secret = services.rotate_secret(request.user, self.get_object())
        return Response(_with_secret(webhook, secret))

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def ping(self, request: Request, pk: str | None = None) -> Response:
        """Send a `ping` test event to this webhook now (queued); follow it under `deliveries/`."""
        delivery = services.ping_webhook(request.user, self.get_object())
        return Response(s.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=["PENDING", "SUCCEEDED", "FAILED"]),
            OpenApiParameter("event", OpenApiTypes.STR, description="Exact event name."),
        ],
        responses={200: s.WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The webhook's deliveries, newest first; `?status=FAILED&event=alert.created`."""
        rows = selectors.deliveries_of(self.get_object())
        filterset = WebhookDeliveryFilterSet(request.query_params, queryset=rows, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        serialized = s.WebhookDeliverySerializer(page if page is not None else filterset.qs, many=True).data
        return self.get_paginated_response(serialized) if page is not None else Response(serialized)

    @extend_schema(parameters=[_DELIVERY_ID], responses={200: s.WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)",
        url_name="delivery",
        filter_backends=[],
        pagination_class=None,
    )
    def delivery(self, request: Request, pk: str | None = None, delivery_id: str | None = None) -> Response:
        """One delivery: its payload and the outcome of its last attempt."""
        delivery = selectors.get_delivery(self.get_object(), delivery_id)
        return Response(s.WebhookDeliverySerializer(delivery).data)

    @extend_schema(parameters=[_DELIVERY_ID], request=None, responses={202: s.WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay",
        url_name="replay",
        filter_backends=[],
        pagination_class=None,
    )
    def replay(self, request: Request, pk: str | None = None, delivery_id: str | None = None) -> Response:
        """Send the delivery's event and payload again, as a new delivery with a new id."""
        original = selectors.get_delivery(self.get_object(), delivery_id)
        replay = services.replay_delivery(request.user, original)
        return Response(s.WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


class NotificationLogViewSet(viewsets.ReadOnlyModelViewSet):
    """E-mails sent, failed, pending or skipped, newest first (needs ``admin.manage``)."""

    queryset = NotificationLog.objects.all()  # the model, for schema and isolation discovery
    serializer_class = s.NotificationLogSerializer
    filterset_class = NotificationLogFilterSet
    permission_classes = [HasCapability]
    required_capability = "admin.manage"
    ordering_fields = ["created_at", "sent_at", "status"]

    def get_queryset(self) -> QuerySet[NotificationLog]:
        return selectors.notification_logs_for(self.request.user)

    def get_serializer_class(self) -> Any:
        return s.NotificationLogDetailSerializer if self.action == "retrieve" else s.NotificationLogSerializer


class NotificationPreferencesView(APIView):
    """The signed-in person's notification preferences: which events they muted."""

    permission_classes = [IsAuthenticated]

    def _answer(self, person: Person) -> Response:
        rows = selectors.preferences_of(person)
        return Response(
            {
                "preferences": [{"event": row.event, "muted": row.muted} for row in rows],
                "events": [{"name": name, "description": text} for name, text in events.EVENTS.items()],
                "families": events.families(),
            }
        )

    @extend_schema(responses={200: s.PreferencesSerializer}, tags=["notifications"])
    def get(self, request: Request) -> Response:
        return self._answer(cast(Person, request.user))

    @extend_schema(
        request=s.PreferencesWriteSerializer, responses={200: s.PreferencesSerializer}, tags=["notifications"]
    )
    def put(self, request: Request) -> Response:
        """Replace every preference; an event no longer listed follows the broader preferences left, or is sent."""
        data = s.PreferencesWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = cast(Person, request.user)
        services.set_preferences(person, data.validated_data["preferences"])
        return self._answer(person)
