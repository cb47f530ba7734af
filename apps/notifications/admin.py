"""Django admin for webhooks, their deliveries, e-mail logs and preferences.

Webhooks are edited through the service (URL and SSRF checks, known events) and their
secret is never displayed: it is shown once by the API, so webhooks are registered there
(``POST /api/v1/webhooks/``), and rotated there too. Deliveries and e-mail logs are a
read-only record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.people.selectors import people_for

from . import selectors, services
from .models import NotificationLog, NotificationPreference, Webhook, WebhookDelivery

DELIVERY_FIELDS: list[Any] = [
    "uuid",
    "webhook",
    "event",
    "payload",
    "status",
    "attempts",
    "response_code",
    "response_body",
    "error_code",
    "last_error",
    "next_attempt_at",
    "duration_ms",
    "delivered_at",
    "replay_of",
    "created_at",
]
LOG_FIELDS: list[Any] = [
    "event",
    "person",
    "email",
    "site",
    "subject",
    "body_text",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "sent_at",
    "created_at",
]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record to read: nothing is added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WebhookForm(ServiceForm):
    error_fields = {
        "private_address": "url",
        "installation_address": "url",
        "unknown_event": "events",
        "no_events": "events",
    }

    class Meta:
        model = Webhook
        fields = ["url", "events", "active", "description"]

    def write(self, data: dict[str, Any]) -> Webhook:
        fields = {name: data[name] for name in self.Meta.fields}
        return services.update_webhook(self.actor, self.instance, **fields)


@admin.register(Webhook)
class WebhookAdmin(ServiceAdmin):
    """Edit or delete webhooks; register them and rotate secrets through the API, which shows the secret once."""

    form = WebhookForm
    delete_deactivates = False
    list_display = ["url", "active", "description", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "active", "description"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.webhooks()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the secret is shown once, by the API that creates the webhook

    def remove(self, request: HttpRequest, obj: Webhook) -> None:
        services.delete_webhook(request.user, obj)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "webhook", "status", "attempts", "response_code", "error_code"]
    list_filter = ["status", "event"]
    search_fields = ["uuid", "event"]
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return WebhookDelivery.objects.select_related("webhook")

    @admin.display(description="response excerpt")
    def response_body(self, obj: WebhookDelivery) -> str:
        return obj.visible_excerpt


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "person", "email", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["email", "subject", "person__login"]
    fields = LOG_FIELDS
    readonly_fields = LOG_FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.notification_logs_for(request.user)


class NotificationPreferenceForm(ServiceForm):
    error_fields = {"unknown_event": "event"}
    event = forms.CharField(max_length=64, help_text="An event name (ticket.escalated) or a prefix (ticket.*).")

    class Meta:
        model = NotificationPreference
        fields = ["person", "event", "muted"]

    def write(self, data: dict[str, Any]) -> NotificationPreference:
        return services.set_preference(data["person"], data["event"], data["muted"], replacing=self.instance)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ServiceAdmin):
    form = NotificationPreferenceForm
    delete_deactivates = False
    list_display = ["person", "event", "muted"]
    list_filter = ["muted"]
    search_fields = ["person__login", "event"]
    fields = ["person", "event", "muted"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return NotificationPreference.objects.filter(person__in=people_for(request.user).order_by().values("pk"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "person":
            kwargs["queryset"] = people_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: NotificationPreference) -> None:
        services.remove_preference(obj)
