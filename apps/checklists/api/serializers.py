"""REST shapes of questions and checklists. Serializers parse and render; rules live in services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.checklists.models import AnswerType, Checklist, Question
from apps.core.api.fields import WholeItemSerializer


def _limit(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, required=False, normalize_output=True, **kwargs
    )


def _values(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=200), max_length=200, **kwargs)


class QuestionSerializer(serializers.ModelSerializer):
    options = _values(required=False)
    alert_on = _values(required=False)
    min_value = _limit()
    max_value = _limit()

    class Meta:
        model = Question
        fields = [
            "id",
            "uuid",
            "code",
            "text",
            "answer_type",
            "options",
            "min_value",
            "max_value",
            "alert_on",
            "attachment",
            "is_active",
            "version",
        ]
        read_only_fields = ["id", "uuid", "version"]
        # Uniqueness of the code is the service's rule (``duplicate_code``), not the serializer's.
        validators: list[Any] = []


class ItemInputSerializer(WholeItemSerializer):
    question_id = serializers.IntegerField(min_value=1)
    mandatory = serializers.BooleanField(default=True)
    min_value = _limit(help_text="Narrower limit for this use; null inherits the question's.")
    max_value = _limit(help_text="Narrower limit for this use; null inherits the question's.")
    options = _values(required=False, allow_null=True, help_text="A subset of the question's options; null inherits.")
    alert_on = _values(required=False, allow_null=True, help_text="Answers that raise an alert; null inherits.")


class SectionInputSerializer(WholeItemSerializer):
    title = serializers.CharField(max_length=200)
    items = ItemInputSerializer(many=True)


class ChecklistWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50, required=False, help_text="Required when creating; fixed afterwards.")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Checklist.Kind.choices, default=Checklist.Kind.CHECKLIST)
    sections = SectionInputSerializer(many=True)


class ChecklistSerializer(serializers.ModelSerializer):
    current_version_number = serializers.IntegerField(
        source="current_version.number", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Checklist
        fields = ["id", "uuid", "code", "name", "kind", "is_active", "current_version_number"]
        read_only_fields = fields


class ItemQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    answer_type = serializers.ChoiceField(choices=AnswerType.choices)
    attachment = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    question = ItemQuestionSerializer()
    mandatory = serializers.BooleanField()
    min_value = serializers.CharField(allow_null=True, help_text="Limit in force for this item, as a decimal string.")
    max_value = serializers.CharField(allow_null=True, help_text="Limit in force for this item, as a decimal string.")
    options = serializers.ListField(child=serializers.CharField())
    alert_on = serializers.ListField(child=serializers.CharField())


class SectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    items = ItemSerializer(many=True)


class VersionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    published_by = serializers.IntegerField(allow_null=True, help_text="Id of the person who published it.")


class VersionSerializer(VersionSummarySerializer):
    sections = SectionSerializer(many=True)


class ChecklistDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Checklist.Kind.choices)
    is_active = serializers.BooleanField()
    current_version_number = serializers.IntegerField(allow_null=True)
    current_version = VersionSerializer(allow_null=True)


class ValidateRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text='Answers keyed by item id: {"<item id>": value}.',
    )


class AnswerResultSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True, help_text="The normalised answer.")
    is_alert = serializers.BooleanField()


class AnswerErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


VALIDATE_RESPONSE = inline_serializer(
    "ChecklistValidateResponse",
    {
        "version": serializers.IntegerField(help_text="Number of the version the answers were checked against."),
        "valid": serializers.BooleanField(
            help_text="True when every answer is valid and every mandatory item answered."
        ),
        "results": serializers.DictField(child=AnswerResultSerializer(), help_text="Valid answers by item id."),
        "errors": serializers.DictField(child=AnswerErrorSerializer(), help_text="Invalid answers by item id."),
    },
)
