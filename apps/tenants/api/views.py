"""REST adapter for the tenant's code lists (lookups)."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.permissions import ReadWriteCapability
from apps.tenants import selectors, services
from apps.tenants.filtersets import LookupFilterSet
from apps.tenants.models import Lookup

from .serializers import LookupSerializer


class LookupViewSet(viewsets.ModelViewSet):
    """Departments, designations, ticket categories, asset classes and event types.

    Anyone of the tenant may read (pickers need them); ``admin.manage`` writes. DELETE
    deactivates, because other rows keep pointing at the entry.
    """

    queryset = Lookup.objects.all()
    serializer_class = LookupSerializer
    filterset_class = LookupFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": None, "write": "admin.manage"}

    def get_queryset(self) -> Any:
        return selectors.lookups()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filterset = LookupFilterSet(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        params = filterset.form.cleaned_data
        rows = selectors.cached_lookups(params.get("kind") or None, params.get("is_active"))
        page: Any = self.paginate_queryset(rows)  # type: ignore[arg-type]  # pages a cached list
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_lookup(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        fields = {k: v for k, v in serializer.validated_data.items() if k != "kind"}
        serializer.instance = services.update_lookup(serializer.instance, **fields)

    def perform_destroy(self, instance: Lookup) -> None:
        services.deactivate_lookup(instance)
