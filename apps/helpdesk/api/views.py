"""REST adapters of the helpdesk: parse, call the service, render.

Tickets are read by handlers (``tickets.manage``), workers (``jobs.perform``, their own)
and client viewers (``client.portal``, read-only); ``selectors.tickets_for`` decides
which. Writes need ``tickets.manage`` or ``jobs.perform`` to get past the door; the
services then decide what each may do to each ticket.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import attachments
from apps.core.api.pagination import StandardPagination
from apps.core.api.parsers import CleanJSONParser, CleanMultiPartParser
from apps.core.api.permissions import ReadWriteCapability
from apps.helpdesk import selectors, services
from apps.helpdesk.filtersets import EscalationRuleFilterSet, SlaPolicyFilterSet, TicketFilterSet
from apps.helpdesk.models import EscalationRule, SlaPolicy, Ticket
from apps.people.models import Person

from . import serializers as s


class FileNegotiation(DefaultContentNegotiation):
    """A file is returned as its own bytes whatever ``Accept`` asks for; errors stay JSON."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


def _person(request: Request) -> Person:
    return cast(Person, request.user)


_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The file as stored, with the content type found in it.")


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Tickets the caller may see. Transitions, assignment, comments and files have their
    own routes; a ticket is never deleted (cancel it)."""

    queryset = Ticket.objects.all()  # the model, for schema and isolation discovery; rows come from get_queryset
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": selectors.READ_CAPABILITIES, "write": ("tickets.manage", "jobs.perform")}
    parser_classes = [CleanJSONParser, CleanMultiPartParser]
    ordering_fields = ["created_at", "sla_due_at", "escalation_level"]

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.tickets_for(self.request.user)

    def get_object(self) -> Ticket:
        return selectors.get_ticket_for(self.request.user, self.kwargs["pk"])

    def _ticket(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        """The ticket as the caller now sees it (read back with its joins)."""
        fresh = selectors.get_ticket_for(self.request.user, ticket.pk)
        return Response(s.TicketSerializer(fresh).data, status=code)

    @extend_schema(
        request={"application/json": s.TicketCreateSerializer, "multipart/form-data": s.TicketCreateSerializer},
        responses={201: s.TicketSerializer, 200: s.TicketSerializer},
        description=(
            "Raise a ticket at one of your sites. Multipart: the same fields plus up to 5 `photos` files "
            "(JPEG, PNG, WebP) and `point` (GeoJSON text). A `uuid` sent again returns the ticket it made (200)."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket, created = services.create_ticket(_person(request), **data.service_fields())
        return self._ticket(ticket, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=s.TicketUpdateSerializer, responses={200: s.TicketSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change title, description, category or priority (handlers of the site)."""
        data = s.TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.update_ticket(request.user, self.get_object(), **data.service_fields())
        return self._ticket(ticket)

    @extend_schema(
        request=s.TransitionSerializer,
        responses={200: s.TicketSerializer},
        description="Move the ticket along NEW→OPEN|CANCELLED, OPEN→RESOLVED|ONHOLD|CANCELLED, "
        "ONHOLD→OPEN|RESOLVED|CANCELLED, RESOLVED→CLOSED|OPEN; anything else is 409 `invalid_transition`.",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        data = s.TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.transition_ticket(
            request.user, self.get_object(), data.validated_data["to"], note=data.validated_data["note"]
        )
        return self._ticket(ticket)

    @extend_schema(
        request=s.AssignSerializer,
        responses={200: s.TicketSerializer},
        description="Assign to a person who may see the ticket's site, or to a team; both null unassigns.",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        data = s.AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.assign_ticket(
            request.user, self.get_object(), person=data.validated_data["person"], team=data.validated_data["team"]
        )
        return self._ticket(ticket)

    @extend_schema(methods=["GET"], responses={200: s.CommentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=StandardPagination)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """Comments, oldest first; POST adds one (at most 4000 characters)."""
        ticket = self.get_object()
        if request.method == "POST":
            data = s.CommentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = services.add_comment(request.user, ticket, data.validated_data["body"])
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.comments_of(ticket))
        return self.get_paginated_response(s.CommentSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: s.AttachmentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer},
        description="Multipart `file`, `kind` (PHOTO by default) and `point` (GeoJSON text). Errors: "
        "`file_too_large`, `invalid_image`, `image_too_large`, `unsupported_file_type`, `too_many_files`.",
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """The ticket's files, oldest first; POST adds one."""
        ticket = self.get_object()
        if request.method == "POST":
            data = s.AttachmentUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            attachment = services.attach_file(
                request.user,
                ticket,
                data.validated_data["file"],
                kind=data.validated_data["kind"],
                point=data.validated_data.get("point"),
            )
            return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(s.AttachmentSerializer(attachments.attachments_of(ticket), many=True).data)

    @extend_schema(responses={(200, "application/octet-stream"): _FILE})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment-file",
        content_negotiation_class=FileNegotiation,
        filter_backends=[],
        pagination_class=None,
    )
    def attachment_file(self, request: Request, pk: str | None = None, attachment_id: str = "") -> FileResponse:
        """Download one file of the ticket (whoever may see the ticket)."""
        attachment = attachments.get_attachment_of(self.get_object(), attachment_id)
        file = attachments.open_attachment(attachment)
        inline = attachment.content_type.startswith("image/")
        response = FileResponse(
            file, content_type=attachment.content_type, as_attachment=not inline, filename=attachment.name
        )
        response["Cache-Control"] = "private, no-cache"
        return response

    @extend_schema(responses={200: s.HistorySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=StandardPagination)
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every change, comment, file, escalation and SLA breach, oldest first."""
        page = self.paginate_queryset(selectors.history_of(self.get_object()))
        return self.get_paginated_response(s.HistorySerializer(page, many=True).data)


class _ConfigViewSet(viewsets.ModelViewSet):
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": selectors.RULES_CAPABILITIES, "write": selectors.RULES_CAPABILITIES}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _write(self, serializer: Any, partial: bool) -> Any:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._write(data, False)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(self.get_object(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._write(data, True)).data)


class EscalationRuleViewSet(_ConfigViewSet):
    """The escalation matrix: per category (or the default), one rule per level."""

    queryset = EscalationRule.objects.all()
    serializer_class = s.EscalationRuleSerializer
    filterset_class = EscalationRuleFilterSet
    ordering_fields = ["level", "wait_minutes"]

    def get_queryset(self) -> QuerySet[EscalationRule]:
        return selectors.escalation_rules()

    def get_object(self) -> EscalationRule:
        return selectors.get_escalation_rule(self.kwargs["pk"])

    def _write(self, serializer: Any, partial: bool) -> EscalationRule:
        if partial:
            return services.update_escalation_rule(
                self.request.user, serializer.instance, **serializer.service_fields()
            )
        return services.create_escalation_rule(self.request.user, **serializer.service_fields())

    def perform_destroy(self, instance: EscalationRule) -> None:
        services.delete_escalation_rule(self.request.user, instance)


class SlaPolicyViewSet(_ConfigViewSet):
    """SLA policies: time to resolve by category (or the default) and priority."""

    queryset = SlaPolicy.objects.all()
    serializer_class = s.SlaPolicySerializer
    filterset_class = SlaPolicyFilterSet
    ordering_fields = ["priority", "resolve_within_minutes"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return selectors.sla_policies()

    def get_object(self) -> SlaPolicy:
        return selectors.get_sla_policy(self.kwargs["pk"])

    def _write(self, serializer: Any, partial: bool) -> SlaPolicy:
        if partial:
            return services.update_sla_policy(self.request.user, serializer.instance, **serializer.service_fields())
        return services.create_sla_policy(self.request.user, **serializer.service_fields())

    def perform_destroy(self, instance: SlaPolicy) -> None:
        services.delete_sla_policy(self.request.user, instance)
