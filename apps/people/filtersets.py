from typing import Any

import django_filters

from apps.core.filters import IdFilter

from .models import Person, Team
from .selectors import people_for


class PersonFilterSet(django_filters.FilterSet):
    login = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    code = django_filters.CharFilter(lookup_expr="iexact")
    role = django_filters.CharFilter(field_name="roles__code", distinct=True)
    is_active = django_filters.BooleanFilter()
    home_site = IdFilter(field_name="home_site_id")
    reports_to = IdFilter(field_name="reports_to_id")
    department = IdFilter(field_name="department_id")
    designation = IdFilter(field_name="designation_id")
    client = IdFilter(field_name="client_id")
    team = IdFilter(field_name="team_memberships__team_id", distinct=True)

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
    person = IdFilter(method="filter_person", label="Teams of this person")

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
