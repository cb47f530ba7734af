"""REST adapters for authentication and people: parse, call the service, render."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.autocomplete import AutocompleteMixin
from apps.people import selectors, services
from apps.people.backends import client_ip
from apps.people.filtersets import PersonFilterSet, TeamFilterSet
from apps.people.models import Person

from . import serializers as s
from .permissions import ReadWriteCapability


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
        )
        return Response(_pair(pair))


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
        return Response(s.PersonSerializer(person).data)

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
    """Teams with their members (person id and lead flag). DELETE deactivates the team."""

    queryset = selectors.teams()
    serializer_class = s.TeamSerializer
    filterset_class = TeamFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": "people.view", "write": "people.manage"}
    ordering_fields = ["code", "name"]

    def get_queryset(self) -> Any:
        return selectors.teams()

    @staticmethod
    def _members(data: dict[str, Any]) -> list[services.Member] | None:
        rows = data.pop("memberships", None)
        if rows is None:
            return None
        return [services.Member(person_id=row["person_id"], is_lead=row["is_lead"]) for row in rows]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        members = self._members(data) or []
        team = services.create_team(members=members, **data)
        serializer.instance = selectors.get_team(team.pk)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        team = services.update_team(serializer.instance, members=self._members(data), **data)
        serializer.instance = selectors.get_team(team.pk)

    def perform_destroy(self, instance: Any) -> None:
        services.deactivate_team(instance)
