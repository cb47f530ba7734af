"""One filterset per model, shared by the REST viewsets and the GraphQL list fields."""

import django_filters

from apps.core.filters import IdFilter

from .models import Client, Location, Shift, Site, SiteAssignment, SiteGroup


class ClientFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Client
        fields = ["code", "name", "is_active"]


class SiteFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    client = IdFilter(field_name="client_id")
    is_active = django_filters.BooleanFilter()
    site_group = IdFilter(field_name="group_memberships__group_id", distinct=True)
    in_charge = IdFilter(field_name="in_charge_id")

    class Meta:
        model = Site
        fields = ["code", "name", "client", "is_active", "site_group", "in_charge"]


class SiteGroupFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()
    site = IdFilter(field_name="members__site_id", distinct=True)

    class Meta:
        model = SiteGroup
        fields = ["code", "name", "is_active", "site"]


class ShiftFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    name = django_filters.CharFilter(lookup_expr="icontains")
    designation = IdFilter(field_name="designation_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Shift
        fields = ["site", "name", "designation", "is_active"]


class LocationFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    parent = IdFilter(field_name="parent_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Location
        fields = ["site", "code", "name", "parent", "is_active"]


class SiteAssignmentFilterSet(django_filters.FilterSet):
    person = IdFilter(field_name="person_id")
    site = IdFilter(field_name="site_id")
    site_group = IdFilter(field_name="site_group_id")

    class Meta:
        model = SiteAssignment
        fields = ["person", "site", "site_group"]
