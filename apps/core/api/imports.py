"""``POST /api/v1/imports/``: the bulk import as an upload (multipart: ``file``, ``kind``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.parsers import CleanMultiPartParser
from apps.core.api.permissions import HasCapability
from apps.core.importing import import_workbook


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx workbook (sheets named sites, people, ...) or .csv")
    kind = serializers.CharField(required=False, allow_blank=True, default="", help_text="What a .csv holds")


class ImportView(APIView):
    """Validate every row, then import all of them or none (errors list row numbers)."""

    parser_classes = [CleanMultiPartParser]
    permission_classes = [HasCapability]
    required_capability = "admin.manage"

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: inline_serializer(
                "ImportResult",
                {"imported": serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))},
            )
        },
        tags=["imports"],
    )
    def post(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        result = import_workbook(file.read(), file.name, upload.validated_data["kind"], actor=request.user)
        return Response({"imported": result})
