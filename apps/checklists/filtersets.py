"""One filterset per model, shared by REST (``?field=``) and GraphQL (field arguments)."""

import django_filters
from django.db.models import QuerySet

from apps.core.search import search

from .models import AnswerType, Checklist, Question


class QuestionFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    answer_type = django_filters.ChoiceFilter(choices=AnswerType.choices)
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="filter_q", label="Text or code contains (any case or accent)")

    class Meta:
        model = Question
        fields = ["code", "answer_type", "is_active", "q"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, ("code", "text"), value) if value.strip() else queryset


class ChecklistFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=Checklist.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Checklist
        fields = ["code", "name", "kind", "is_active"]
