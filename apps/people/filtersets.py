import django_filters

from .models import Person


class PersonFilterSet(django_filters.FilterSet):
    login = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    role = django_filters.CharFilter(field_name="roles__code", distinct=True)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Person
        fields = ["login", "name", "role", "is_active"]
