"""REST adapters for assets and checkpoints: parse, call the service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from apps.assets import qr, selectors, services
from apps.assets.filtersets import AssetFilterSet
from apps.assets.models import Asset
from apps.core.api.autocomplete import AutocompleteMixin
from apps.core.api.permissions import ReadWriteCapability
from apps.core.errors import NotFound

from . import serializers as s


class FirstRendererNegotiation(BaseContentNegotiation):
    """QR images ignore ``Accept``: success is the image itself, an error is always the JSON error shape."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class AssetViewSet(AutocompleteMixin, viewsets.ModelViewSet):
    """Assets and checkpoints of the caller's sites. DELETE deactivates; nothing is deleted."""

    queryset = Asset.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.AssetSerializer
    filterset_class = AssetFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": "sites.view", "write": "sites.manage"}
    autocomplete_fields = ("code", "name", "tag")
    ordering_fields = ["code", "name", "status", "modified_at"]
    kind: str | None = None

    def get_queryset(self) -> QuerySet[Asset]:
        queryset = selectors.assets_for(self.request.user, kind=self.kind)
        if self.action == "autocomplete":
            # Pickers offer what new work may use: not scrapped, not deactivated.
            queryset = queryset.filter(is_active=True).exclude(status=Asset.Status.SCRAPPED)
        return queryset

    def fixed_fields(self) -> dict[str, Any]:
        return {}

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_asset(
            self.request.user, **{**serializer.validated_data, **self.fixed_fields()}
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_asset(self.request.user, serializer.instance, **serializer.validated_data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Deactivate (``is_active`` false): past jobs and reports still refer to the row."""
        services.deactivate_asset(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.AssetSerializer})
    @action(detail=True, methods=["post"])
    def scrap(self, request: Request, pk: str | None = None) -> Response:
        """Mark the asset SCRAPPED; it stays listed (``?status=SCRAPPED``) for history."""
        asset = services.scrap_asset(request.user, self.get_object())
        return Response(self.get_serializer(asset).data)

    def _tag(self) -> str:
        asset = self.get_object()
        if not asset.tag:
            raise NotFound(f"{asset.code} has no tag to print.", code="no_tag")
        return asset.tag

    @extend_schema(
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY, description="QR code of the tag.")}
    )
    def qr_svg(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The asset's tag as a QR code (SVG)."""
        return HttpResponse(qr.render_svg(self._tag()), content_type="image/svg+xml")

    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="QR code of the tag.")}
    )
    def qr_png(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The asset's tag as a QR code (PNG)."""
        return HttpResponse(qr.render_png(self._tag()), content_type="image/png")


class CheckpointViewSet(AssetViewSet):
    """Checkpoints only: the same rows as assets of kind CHECKPOINT; creating one forces the kind."""

    serializer_class = s.CheckpointSerializer
    kind = Asset.Kind.CHECKPOINT

    def fixed_fields(self) -> dict[str, Any]:
        return {"kind": Asset.Kind.CHECKPOINT}
