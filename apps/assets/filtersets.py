"""The one filterset of Asset, used by the REST list and the GraphQL ``assets`` field."""

import django_filters

from apps.core.filters import IdFilter

from .models import Asset


class AssetFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Asset.Kind.choices)
    site = IdFilter(field_name="site_id")
    area = IdFilter(field_name="area_id")
    parent = IdFilter(field_name="parent_id")
    status = django_filters.MultipleChoiceFilter(choices=Asset.Status.choices)
    asset_class = IdFilter(field_name="asset_class_id")
    tag = django_filters.CharFilter(lookup_expr="exact")
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Asset
        fields = ["kind", "site", "area", "parent", "status", "asset_class", "tag", "code", "name", "is_active"]
