"""REST adapters for questions and checklists: parse, call the service or selector, render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.checklists import selectors, services
from apps.checklists.capabilities import READ_CAPABILITIES, WRITE_CAPABILITIES
from apps.checklists.filtersets import ChecklistFilterSet, QuestionFilterSet
from apps.checklists.validation import validate_answers
from apps.core.api.autocomplete import AutocompleteMixin
from apps.core.api.permissions import ReadWriteCapability
from apps.core.errors import NotFound

from . import serializers as s


class QuestionViewSet(AutocompleteMixin, viewsets.ModelViewSet):
    """Questions of the tenant. DELETE deactivates: published checklists keep using them."""

    queryset = selectors.questions()
    serializer_class = s.QuestionSerializer
    filterset_class = QuestionFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": READ_CAPABILITIES, "write": WRITE_CAPABILITIES}
    ordering_fields = ["code", "text"]
    autocomplete_fields = ("code", "text")
    read_actions = ("autocomplete",)

    def autocomplete_text(self, obj: Any) -> str:
        return f"{obj.code} · {obj.text}"

    def get_queryset(self) -> Any:
        return selectors.questions()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.create_question(**data.validated_data)
        return Response(self.get_serializer(question).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        question = self.get_object()
        data = self.get_serializer(question, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        question = services.update_question(question, **data.validated_data)
        return Response(self.get_serializer(question).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.deactivate_question(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChecklistViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Checklists of the tenant.

    POST creates a checklist and publishes its version 1; PUT publishes a new version
    (earlier ones stay readable under ``versions/``); PATCH with ``sections`` publishes,
    PATCH without them only renames or retypes. DELETE deactivates.
    """

    queryset = selectors.checklists()
    serializer_class = s.ChecklistSerializer
    filterset_class = ChecklistFilterSet
    permission_classes = [ReadWriteCapability]
    required_capabilities = {"read": READ_CAPABILITIES, "write": WRITE_CAPABILITIES}
    ordering_fields = ["code", "name"]
    read_actions = ("validate",)

    def get_queryset(self) -> Any:
        return selectors.checklists()

    def _detail(self, checklist_id: int, fresh: bool = False) -> dict[str, Any]:
        # After a write, read the database: the cache is bumped only once the write commits.
        read = selectors.build_checklist_payload if fresh else selectors.checklist_payload
        payload = read(checklist_id)
        if payload is None:
            raise NotFound()
        return payload

    @extend_schema(responses={200: s.ChecklistDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._detail(self.get_object().pk))

    @extend_schema(request=s.ChecklistWriteSerializer, responses={201: s.ChecklistDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.ChecklistWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.publish_checklist(
            None,
            code=data.validated_data.get("code"),
            name=data.validated_data["name"],
            kind=data.validated_data["kind"],
            sections=data.validated_data["sections"],
            published_by=request.user,
        )
        return Response(self._detail(version.checklist_id, fresh=True), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ChecklistWriteSerializer, responses={200: s.ChecklistDetailSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        checklist = self.get_object()
        partial = kwargs.get("partial", False)
        data = s.ChecklistWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if "code" in fields and fields["code"] != checklist.code:
            raise services.ChecklistError("A checklist's code cannot change.", code="code_immutable")
        if partial and "sections" not in fields:
            services.update_checklist(checklist, **{k: v for k, v in fields.items() if k in {"name", "kind"}})
        else:
            services.publish_checklist(
                checklist,
                name=fields.get("name", checklist.name),
                kind=fields.get("kind", checklist.kind),
                sections=fields["sections"],
                published_by=request.user,
            )
        return Response(self._detail(checklist.pk, fresh=True))

    @extend_schema(request=s.ChecklistWriteSerializer, responses={200: s.ChecklistDetailSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.deactivate_checklist(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.VersionSummarySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="versions", pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Every published version of the checklist, newest first."""
        checklist = self.get_object()
        rows = selectors.versions().filter(checklist=checklist)
        return Response([selectors.version_summary(version) for version in rows])

    @extend_schema(responses={200: s.VersionSerializer})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]+)",
        url_name="version",
        pagination_class=None,
        filter_backends=[],
    )
    def version(self, request: Request, pk: str | None = None, number: str | None = None) -> Response:
        """One version with its sections and items, as it was published."""
        version = selectors.get_version(self.get_object(), number)
        return Response(selectors.version_payload(version))

    @extend_schema(request=s.ValidateRequestSerializer, responses={200: s.VALIDATE_RESPONSE})
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        """Check answers against the current version (or ``?version=<number>``) without storing them."""
        checklist = self.get_object()
        data = s.ValidateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = request.query_params.get("version")
        if number is not None:
            version = selectors.get_version(checklist, number)
        elif checklist.current_version is not None:
            version = checklist.current_version
        else:
            raise NotFound()
        sheet = validate_answers(selectors.items_of(version), data.validated_data["answers"], viewer=request.user)
        return Response(
            {
                "version": version.number,
                "valid": sheet.valid,
                "results": {k: {"value": r.value, "is_alert": r.is_alert} for k, r in sheet.results.items()},
                "errors": {
                    k: {"code": e.code, "message": e.message, "details": e.details} for k, e in sheet.errors.items()
                },
            }
        )
