"""The one filterset per model, used by the REST lists and the GraphQL fields."""

import django_filters

from apps.core.filters import DateTimeFilter, IdFilter

from .models import NotificationLog, Webhook, WebhookDelivery


class WebhookFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    url = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Webhook
        fields = ["active", "url"]


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.CharFilter(lookup_expr="exact")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


class NotificationLogFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=NotificationLog.Status.choices)
    event = django_filters.CharFilter(lookup_expr="exact")
    person = IdFilter(field_name="person_id")
    site = IdFilter(field_name="site_id")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = NotificationLog
        fields = ["status", "event", "person", "site", "created_after", "created_before"]
