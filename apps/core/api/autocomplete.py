"""``GET /api/v1/<things>/autocomplete/?q=``: pickers in the Select2 format.

A viewset adds ``AutocompleteMixin`` and names ``autocomplete_fields``; results are the
viewset's own (tenant- and site-scoped) queryset, searched with ``apps.core.search``.
Response: ``{"results": [{"id", "text"}], "pagination": {"more": bool}}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.pagination import MAX_PAGE, page_number
from apps.core.search import search_page

PAGE_SIZE = 20

AUTOCOMPLETE_RESPONSE = inline_serializer(
    "AutocompleteResponse",
    {
        "results": inline_serializer(
            "AutocompleteResult", {"id": serializers.CharField(), "text": serializers.CharField()}, many=True
        ),
        "pagination": inline_serializer("AutocompletePagination", {"more": serializers.BooleanField()}),
    },
)


class AutocompleteMixin:
    autocomplete_fields: tuple[str, ...] = ("name",)
    # Other fields ``autocomplete_text`` reads, and foreign keys it follows (joined): only
    # these and ``autocomplete_fields`` are loaded.
    autocomplete_text_fields: tuple[str, ...] = ()
    autocomplete_related: tuple[str, ...] = ()
    # Every viewset using the mixin, for the system check that its fields are searchable.
    registry: ClassVar[list[type[AutocompleteMixin]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AutocompleteMixin.registry.append(cls)

    def autocomplete_text(self, obj: Any) -> str:
        return str(obj)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Text to look for (any part, any case or accent)."),
            OpenApiParameter("page", OpenApiTypes.INT, description=f"1-based page of 20 results, at most {MAX_PAGE}."),
        ],
        responses={200: AUTOCOMPLETE_RESPONSE},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def autocomplete(self, request: Request) -> Response:
        # A picker shows ids and one line of text: the joins and prefetches the viewset
        # makes for its full representation would only slow every keystroke down.
        queryset = self.get_queryset().select_related(None).prefetch_related(None)  # type: ignore[attr-defined]
        queryset = queryset.only(*self.autocomplete_fields, *self.autocomplete_text_fields)
        if self.autocomplete_related:
            queryset = queryset.select_related(*self.autocomplete_related)
        q = request.query_params.get("q", "").strip()
        page = page_number(request.query_params.get("page"))
        start, order = (page - 1) * PAGE_SIZE, (*self.autocomplete_fields, "pk")
        if q:
            rows = search_page(queryset, self.autocomplete_fields, q, order_by=order, start=start, size=PAGE_SIZE + 1)
        else:
            rows = list(queryset.order_by(*order)[start : start + PAGE_SIZE + 1])
        return Response(
            {
                "results": [{"id": str(obj.pk), "text": self.autocomplete_text(obj)} for obj in rows[:PAGE_SIZE]],
                "pagination": {"more": len(rows) > PAGE_SIZE},
            }
        )
