from typing import Any

import django_filters

from .models import Person, Team
from .selectors import people_for


class PersonFilterSet(django_filters.FilterSet):
    login = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    code = django_filters.CharFilter(lookup_expr="iexact")
    role = django_filters.CharFilter(field_name="roles__code", distinct=True)
    is_active = django_filters.BooleanFilter()
    home_site = django_filters.NumberFilter(field_name="home_site_id")
    reports_to = django_filters.NumberFilter(field_name="reports_to_id")
    department = django_filters.NumberFilter(field_name="department_id")
    designation = django_filters.NumberFilter(field_name="designation_id")
    client = django_filters.NumberFilter(field_name="client_id")
    team = django_filters.NumberFilter(field_name="team_memberships__team_id", distinct=True)

    class Meta:
        model = Person
        fields = [
            "login",
            "name",
            "code",
            "role",
            "is_active",
            "home_site",
            "reports_to",
            "department",
            "designation",
            "client",
            "team",
        ]


class TeamFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()
    person = django_filters.NumberFilter(method="filter_person", label="Teams of this person")

    class Meta:
        model = Team
        fields = ["code", "name", "is_active", "person"]

    def filter_person(self, queryset: Any, name: str, value: Any) -> Any:
        # Only people the caller may see: asking about anyone else finds no team, so the
        # filter cannot tell a supervisor where a person of another site is a member.
        viewer = getattr(self.request, "user", None)
        if viewer is None:
            return queryset.none()
        visible = people_for(viewer).values("pk")
        return queryset.filter(memberships__person_id=value, memberships__person__in=visible).distinct()
