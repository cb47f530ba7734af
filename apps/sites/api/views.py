"""REST adapters for clients, sites, site groups, shifts, areas and site assignments.

Each viewset scopes its queryset through ``apps.sites.selectors`` (tenant and sites the
caller may see; anything else is a 404) and hands writes to ``apps.sites.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.autocomplete import AutocompleteMixin
from apps.core.geo import GeometryError, parse_geojson
from apps.sites import selectors, services
from apps.sites.filtersets import (
    ClientFilterSet,
    LocationFilterSet,
    ShiftFilterSet,
    SiteAssignmentFilterSet,
    SiteFilterSet,
    SiteGroupFilterSet,
)
from apps.sites.models import Client, Location, Shift, Site, SiteAssignment, SiteGroup, SiteGroupMember

from . import serializers as s
from .permissions import SitesPermission

Service = Callable[..., Any]


class _MasterDataViewSet(viewsets.ModelViewSet):
    """CRUD over a scoped queryset; create/update/delete call the app's services.

    ``DELETE`` deactivates (``deactivate``) and answers 200 with the deactivated row,
    unless the viewset names a ``remove`` service instead.
    """

    permission_classes = [SitesPermission]
    read_capabilities: tuple[str, ...] = ("sites.view", "client.portal")
    write_capability = "sites.manage"
    create_service: Service
    update_service: Service
    deactivate_service: Service

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = type(self).create_service(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = type(self).update_service(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = type(self).deactivate_service(self.get_object(), actor=request.user)
        return Response(self.get_serializer(instance).data)


def _deactivation_schema(serializer: Any, noun: str) -> Any:
    return extend_schema(
        responses={200: serializer},
        description=f"Deactivates the {noun} (`is_active` becomes false) and returns it; nothing is deleted.",
    )


@extend_schema_view(destroy=_deactivation_schema(s.ClientSerializer, "client and its sites"))
class ClientViewSet(_MasterDataViewSet):
    """Clients (customers) of the tenant.

    Admins see every client; others only the clients of the sites they may see.
    ``DELETE`` does not delete: it deactivates the client and its sites (``is_active``
    false) and answers 200 with the client, because past work and reports refer to them.
    """

    queryset = Client.objects.all()
    serializer_class = s.ClientSerializer
    filterset_class = ClientFilterSet
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.create_client)
    update_service = staticmethod(services.update_client)
    deactivate_service = staticmethod(services.deactivate_client)

    def get_queryset(self) -> QuerySet[Client]:
        return selectors.clients_for(self.request.user)


SPATIAL_PARAMETERS = [
    OpenApiParameter(
        "near", OpenApiTypes.STR, description="`<lon>,<lat>`: sites within `within_m` of this point, nearest first."
    ),
    OpenApiParameter(
        "within_m",
        OpenApiTypes.NUMBER,
        description=f"Radius for `near` in metres (default 1000, at most {selectors.MAX_NEAR_METRES}).",
    ),
    OpenApiParameter("contains", OpenApiTypes.STR, description="`<lon>,<lat>`: sites whose geofence covers the point."),
]
DEFAULT_NEAR_METRES = 1000.0


def parse_lon_lat(raw: str) -> Point:
    """``"<lon>,<lat>"`` as a WGS 84 point; malformed text is ``invalid_coordinates``."""
    parts = raw.split(",")
    try:
        if len(parts) != 2:
            raise ValueError(raw)
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise GeometryError(
            f"Expected <longitude>,<latitude>, got {raw!r}.", code="invalid_coordinates", details={"value": raw}
        ) from None
    point = parse_geojson({"type": "Point", "coordinates": [lon, lat]}, "Point")
    assert isinstance(point, Point)
    return point


def parse_within(raw: str | None) -> float:
    if raw is None or raw == "":
        return DEFAULT_NEAR_METRES
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float("inf"):
        raise GeometryError("within_m is a positive number of metres.", code="invalid_distance", details={"value": raw})
    return min(value, float(selectors.MAX_NEAR_METRES))


@extend_schema_view(
    list=extend_schema(parameters=SPATIAL_PARAMETERS),
    destroy=_deactivation_schema(s.SiteSerializer, "site"),
)
class SiteViewSet(AutocompleteMixin, _MasterDataViewSet):
    """Sites the caller may see (``sites_for``): admins all, client viewers their client's,
    others their home site, assigned sites and the sites of assigned groups.

    ``?near=<lon>,<lat>&within_m=<m>`` lists sites within the radius, nearest first (with
    ``distance_m``); ``?contains=<lon>,<lat>`` the sites whose geofence covers the point.
    ``DELETE`` does not delete: it deactivates the site (``is_active`` false) and answers
    200 with it, because jobs, attendance and reports refer to it.
    """

    queryset = Site.objects.all()
    serializer_class = s.SiteSerializer
    filterset_class = SiteFilterSet
    ordering_fields = ["code", "name"]
    autocomplete_fields = ("code", "name")
    read_capabilities_by_action = {"choices": ("sites.view", "client.portal", "jobs.perform")}
    create_service = staticmethod(services.create_site)
    update_service = staticmethod(services.update_site)
    deactivate_service = staticmethod(services.deactivate_site)

    def get_queryset(self) -> QuerySet[Site]:
        queryset = selectors.sites_for(self.request.user)
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("near") is not None:
            queryset = selectors.near(queryset, parse_lon_lat(params["near"]), parse_within(params.get("within_m")))
        if params.get("contains") is not None:
            queryset = selectors.covering(queryset, parse_lon_lat(params["contains"]))
        return queryset

    @extend_schema(responses={200: s.SiteChoiceSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def choices(self, request: Request) -> Response:
        """The active sites the caller may see, for pickers and phones (cached per tenant)."""
        return Response(selectors.site_choices(request.user))


@extend_schema_view(destroy=_deactivation_schema(s.SiteGroupSerializer, "site group"))
class SiteGroupViewSet(_MasterDataViewSet):
    """Site groups with their sites in order. ``DELETE`` deactivates the group and returns it."""

    queryset = SiteGroup.objects.all()
    serializer_class = s.SiteGroupSerializer
    filterset_class = SiteGroupFilterSet
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.create_site_group)
    update_service = staticmethod(services.update_site_group)
    deactivate_service = staticmethod(services.deactivate_site_group)

    def get_queryset(self) -> QuerySet[SiteGroup]:
        user = self.request.user
        # Only the member sites the caller may see are listed.
        members = SiteGroupMember.objects.filter(site__in=selectors.sites_for(user)).order_by("position", "pk")
        return selectors.site_groups_for(user).prefetch_related(Prefetch("members", queryset=members))


@extend_schema_view(destroy=_deactivation_schema(s.ShiftSerializer, "shift"))
class ShiftViewSet(_MasterDataViewSet):
    """Shifts at the sites the caller may see. ``DELETE`` deactivates the shift and returns it."""

    queryset = Shift.objects.all()
    serializer_class = s.ShiftSerializer
    filterset_class = ShiftFilterSet
    ordering_fields = ["name", "start_time"]
    create_service = staticmethod(services.create_shift)
    update_service = staticmethod(services.update_shift)
    deactivate_service = staticmethod(services.deactivate_shift)

    def get_queryset(self) -> QuerySet[Shift]:
        return selectors.shifts_for(self.request.user)


@extend_schema_view(destroy=_deactivation_schema(s.LocationSerializer, "area"))
class LocationViewSet(_MasterDataViewSet):
    """Areas (buildings, floors, zones) of the sites the caller may see.
    ``DELETE`` deactivates the area and returns it."""

    queryset = Location.objects.all()
    serializer_class = s.LocationSerializer
    filterset_class = LocationFilterSet
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.create_location)
    update_service = staticmethod(services.update_location)
    deactivate_service = staticmethod(services.deactivate_location)

    def get_queryset(self) -> QuerySet[Location]:
        return selectors.locations_for(self.request.user)


class SiteAssignmentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sites and site groups people may work at. Assignments are created or deleted, not edited."""

    queryset = SiteAssignment.objects.all()
    serializer_class = s.SiteAssignmentSerializer
    filterset_class = SiteAssignmentFilterSet
    permission_classes = [SitesPermission]
    read_capabilities = ("sites.view", "client.portal")
    write_capability = "sites.manage"

    def get_queryset(self) -> QuerySet[SiteAssignment]:
        return selectors.site_assignments_for(self.request.user).order_by("pk")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_site_assignment(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: SiteAssignment) -> None:
        services.delete_site_assignment(instance, actor=self.request.user)
