import django_filters

from .models import Lookup


class LookupFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Lookup.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Lookup
        fields = ["kind", "is_active"]
