"""REST adapters for authentication and people: parse, call the service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasCapability
from apps.people import selectors, services
from apps.people.backends import client_ip
from apps.people.filtersets import PersonFilterSet

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


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People of the caller's tenant (read-only here; onboarding adds writes)."""

    queryset = selectors.people()
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilterSet
    permission_classes = [HasCapability]
    required_capability = "people.view"
    ordering_fields = ["login", "name"]
