"""REST adapters for authentication and people: parse, call the service, render."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.autocomplete import AutocompleteMixin
from apps.core.api.parsers import CleanMultiPartParser
from apps.core.api.permissions import ReadWriteCapability
from apps.people import selectors, services
from apps.people.backends import client_ip
from apps.people.filtersets import PersonFilterSet, TeamFilterSet
from apps.people.models import Person

from . import serializers as s


def _pair(pair: services.TokenPair) -> dict[str, Any]:
    return {
        "access": pair.access,
        "refresh": pair.refresh,
        "access_expires_in": pair.access_expires_in,
        "refresh_expires_at": pair.refresh_expires_at,
    }


class TokenObtainView(APIView):
    """Sign in: tenant slug, login and password (and the device id when bound)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=s.TokenObtainSerializer, responses={200: s.TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.TokenObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.obtain_tokens(
            tenant_slug=data.validated_data["tenant"],
            login=data.validated_data["login"],
            password=data.validated_data["password"],
            device_id=data.validated_data["device_id"],
            ip=client_ip(request._request),
            device_token=data.validated_data["device_token"],
        )
        return Response({**_pair(pair), "device_token": pair.device_token})


class TokenRefreshView(APIView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.refresh_tokens(
            refresh=data.validated_data["refresh"], device_id=data.validated_data["device_id"]
        )
        return Response(_pair(pair))


class TokenRevokeView(APIView):
    """Log out: revoke the refresh token, its rotations and their access tokens."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=s.RevokeSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.revoke_refresh(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(APIView):
    """A single-use ticket (valid 30 s) for opening a WebSocket from a browser, which
    cannot set an Authorization header on the upgrade request."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: s.WsTicketSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        ticket = services.issue_ws_ticket(request.user)  # type: ignore[arg-type]
        return Response({"ticket": ticket, "expires_in": settings.WS_TICKET_TTL_SECONDS}, status=201)


class MeView(APIView):
    """Who am I: the signed-in person, their tenant and roles."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeSerializer}, tags=["people"])
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(selectors.me_payload(request.user)).data)  # type: ignore[arg-type]


def _viewer(request: Request) -> Person:
    return cast(Person, request.user)


class PhotoNegotiation(DefaultContentNegotiation):
    """The photo is returned as its own bytes whatever ``Accept`` asks for, and errors are
    always the JSON error shape (so ``Accept: image/png`` does not end in 406)."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


_PHOTO_BYTES = OpenApiResponse(OpenApiTypes.BINARY, description="The photo as stored.")


class PersonViewSet(AutocompleteMixin, viewsets.ModelViewSet):
    """People of the caller's tenant, scoped to the caller's sites (admins see everyone).

    Reading needs ``people.view``, writing ``people.manage``. DELETE deactivates: the
    person can no longer sign in, their sessions end, and their history stays.
    """

    queryset = selectors.people()
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": "people.view", "write": "people.manage"}
    ordering_fields = ["login", "name", "code"]
    autocomplete_fields = ("login", "name", "code")

    def get_queryset(self) -> Any:
        return selectors.people_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.setdefault("roles", [])
        data.setdefault("password", None)
        serializer.instance = services.create_person(**data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_person(
            serializer.instance, by=_viewer(self.request), **serializer.validated_data
        )

    def perform_destroy(self, instance: Any) -> None:
        services.deactivate_person(instance, by=_viewer(self.request))

    @extend_schema(request=s.PersonDeactivateSerializer, responses={200: s.PersonSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """Deactivate with a leaving date (DELETE does the same with today's date)."""
        person = self.get_object()
        data = s.PersonDeactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deactivate_person(person, left_on=data.validated_data.get("left_on"), by=_viewer(request))
        return Response(self.get_serializer(person).data)

    @extend_schema(
        methods=["GET"],
        responses={
            (200, "image/jpeg"): _PHOTO_BYTES,
            (200, "image/png"): _PHOTO_BYTES,
            (200, "image/webp"): _PHOTO_BYTES,
        },
        description="The reference photo with its content type; 404 `no_photo` when none is set.",
    )
    @extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": s.PersonPhotoUploadSerializer},
        responses={200: s.PersonSerializer},
        description=(
            "Set or replace the reference photo (multipart field `photo`): JPEG, PNG or WebP up to "
            "`PERSON_PHOTO_MAX_BYTES` and 6000 pixels a side. Errors: `file_too_large`, `invalid_image`, "
            "`image_too_large`."
        ),
    )
    @extend_schema(methods=["DELETE"], responses={204: None}, description="Remove the reference photo, if any.")
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path="photo",
        parser_classes=[CleanMultiPartParser],
        content_negotiation_class=PhotoNegotiation,
        filter_backends=[],
        pagination_class=None,
    )
    def photo(self, request: Request, pk: str | None = None) -> Response | FileResponse:
        person = self.get_object()
        if request.method == "PUT":
            data = s.PersonPhotoUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.set_person_photo(person, data.validated_data["photo"], by=_viewer(request))
            return Response(self.get_serializer(person).data)
        if request.method == "DELETE":
            services.remove_person_photo(person, by=_viewer(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        file, content_type = selectors.person_photo(person)
        response = FileResponse(file, content_type=content_type)
        # Personal data behind authentication: shared caches must not keep it.
        response["Cache-Control"] = "private, no-cache"
        return response

    @extend_schema(
        methods=["GET"], responses={200: s.SiteAssignmentsSerializer}, description="Where the person may work."
    )
    @extend_schema(
        methods=["PUT"],
        request=s.SiteAssignmentsSerializer,
        responses={200: s.SiteAssignmentsSerializer},
        description="Replace the home site, assigned sites and assigned site groups.",
    )
    @action(detail=True, methods=["get", "put"], url_path="sites", filter_backends=[], pagination_class=None)
    def sites(self, request: Request, pk: str | None = None) -> Response:
        person = self.get_object()
        if request.method == "PUT":
            data = s.SiteAssignmentsSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.set_site_assignments(
                person,
                home_site_id=data.validated_data["home_site"],
                site_ids=data.validated_data["sites"],
                site_group_ids=data.validated_data["site_groups"],
            )
        return Response(selectors.site_assignments(person))


class TeamViewSet(viewsets.ModelViewSet):
    """Teams with their members (person id and lead flag). DELETE deactivates the team.

    Admins see every team; others see the teams with a member they may see, and only
    those members. Their edits to ``members`` leave the members they cannot see in place.
    """

    queryset = selectors.teams()
    serializer_class = s.TeamSerializer
    filterset_class = TeamFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": "people.view", "write": "people.manage"}
    ordering_fields = ["code", "name"]

    def get_queryset(self) -> Any:
        return selectors.teams_for(self.request.user)

    @staticmethod
    def _members(data: dict[str, Any]) -> list[services.Member] | None:
        rows = data.pop("memberships", None)
        if rows is None:
            return None
        # A PATCH does not apply serializer defaults, so ``is_lead`` may be absent there.
        return [services.Member(person_id=row["person_id"], is_lead=row.get("is_lead", False)) for row in rows]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        members = self._members(data) or []
        viewer = _viewer(self.request)
        team = services.create_team(members=members, by=viewer, **data)
        serializer.instance = selectors.team_as_written_by(viewer, team)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        viewer = _viewer(self.request)
        team = services.update_team(serializer.instance, members=self._members(data), by=viewer, **data)
        serializer.instance = selectors.team_as_written_by(viewer, team)

    def perform_destroy(self, instance: Any) -> None:
        services.deactivate_team(instance)
