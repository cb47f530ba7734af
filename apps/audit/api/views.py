"""REST adapter of the change log: ``/api/v1/changelog/``, read-only, tenant admins only."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from apps.audit import selectors
from apps.audit.filtersets import ChangeLogFilterSet
from apps.audit.models import ChangeLog
from apps.core.api.permissions import HasCapability

from . import serializers as s


class ChangeLogPagination(CursorPagination):
    """Keyset pages newest first (``?cursor=`` from ``next``): as cheap on page 1,000 as on
    page 1, and stable while new entries arrive."""

    ordering = ("-time", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ChangeLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed what, when, through which door (needs ``admin.manage``). Newest first;
    filter by object (``object_type=people.person&object_id=12``), related object, actor,
    door, action, request id and time."""

    queryset = ChangeLog.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.ChangeLogSerializer
    filterset_class = ChangeLogFilterSet
    permission_classes = [HasCapability]
    required_capability = selectors.READ_CAPABILITY
    pagination_class = ChangeLogPagination
    # No ?ordering=: the pages are keyed on (time, id), the order the index serves.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[ChangeLog]:
        return selectors.entries_for(self.request.user)

    def get_object(self) -> ChangeLog:
        return selectors.get_entry_for(self.request.user, self.kwargs["pk"])
