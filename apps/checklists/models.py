"""Questions and versioned checklists.

A checklist's items live in a ``ChecklistVersion``. Publishing an edit creates a new
version; earlier versions are never changed, because planned and finished work refers
to the version it used.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.core.models import TenantModel
from apps.core.search import search_index
from apps.core.validators import code_validator


class AnswerType(models.TextChoices):
    SINGLE_LINE = "SINGLE_LINE", "Single line"
    MULTI_LINE = "MULTI_LINE", "Multi line"
    EMAIL = "EMAIL", "E-mail"
    NUMERIC = "NUMERIC", "Numeric"
    RATING = "RATING", "Rating"
    METER_READING = "METER_READING", "Meter reading"
    CHECKBOX = "CHECKBOX", "Checkbox"
    DROPDOWN = "DROPDOWN", "Dropdown"
    MULTISELECT = "MULTISELECT", "Multiselect"
    DATE = "DATE", "Date"
    TIME = "TIME", "Time"
    SIGNATURE = "SIGNATURE", "Signature"
    PEOPLE_LIST = "PEOPLE_LIST", "People list"
    SITE_LIST = "SITE_LIST", "Site list"
    GPS = "GPS", "GPS"
    FRONT_CAMERA = "FRONT_CAMERA", "Front camera"
    BACK_CAMERA = "BACK_CAMERA", "Back camera"


class AttachmentRule(models.TextChoices):
    NONE = "NONE", "No attachment"
    OPTIONAL = "OPTIONAL", "Optional"
    REQUIRED = "REQUIRED", "Required"
    REQUIRED_ON_ALERT = "REQUIRED_ON_ALERT", "Required when the answer raises an alert"


def _decimal(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True, **kwargs)  # type: ignore[arg-type]


class Question(TenantModel):
    """A reusable question; checklist items may narrow its limits and options per use."""

    code = models.CharField(max_length=50, validators=[code_validator])
    text = models.CharField(max_length=500)
    answer_type = models.CharField(max_length=20, choices=AnswerType.choices)
    options = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    min_value = _decimal()
    max_value = _decimal()
    alert_on = ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        help_text="Answers that raise an alert (dropdown/checkbox values).",
    )
    attachment = models.CharField(max_length=20, choices=AttachmentRule.choices, default=AttachmentRule.NONE)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="checklists_question_tenant_code"),
        ]
        indexes = [
            search_index("code", "checklists_question_code_trgm"),
            search_index("text", "checklists_question_text_trgm"),
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.text


class Checklist(TenantModel):
    class Kind(models.TextChoices):
        CHECKLIST = "CHECKLIST", "Checklist"
        SITE_REPORT = "SITE_REPORT", "Site report"
        INCIDENT_REPORT = "INCIDENT_REPORT", "Incident report"
        WORK_PERMIT = "WORK_PERMIT", "Work permit"
        RETURN_PERMIT = "RETURN_PERMIT", "Return permit"
        WORK_ORDER = "WORK_ORDER", "Work order"
        ASSET_AUDIT = "ASSET_AUDIT", "Asset audit"
        ASSET_MAINTENANCE = "ASSET_MAINTENANCE", "Asset maintenance"
        POSTING_ORDER = "POSTING_ORDER", "Posting order"

    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CHECKLIST)
    current_version = models.ForeignKey(
        "ChecklistVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="checklists_checklist_tenant_code"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(TenantModel):
    """One published, immutable edition of a checklist."""

    changelog_related = ("checklist",)

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "checklist", "number"], name="checklists_version_number"),
        ]
        ordering = ["checklist", "-number"]

    def __str__(self) -> str:
        return f"{self.checklist} v{self.number}"


class ChecklistSection(TenantModel):
    changelog_related = ("checklist_version",)

    # Not "version": that name is TenantModel's sync version, which a field here would replace.
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["checklist_version", "position"]


class ChecklistItem(TenantModel):
    """A question as used in one checklist version; empty overrides inherit the question's."""

    changelog_related = ("checklist_version",)

    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(ChecklistSection, null=True, blank=True, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="uses")
    position = models.PositiveIntegerField(default=0)
    mandatory = models.BooleanField(default=True)
    min_value = _decimal()
    max_value = _decimal()
    options = ArrayField(models.CharField(max_length=200), null=True, blank=True)
    alert_on = ArrayField(models.CharField(max_length=200), null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["checklist_version", "position"]

    # The limits in force for this use: the item's own, else the question's.
    @property
    def effective_min(self):  # type: ignore[no-untyped-def]
        return self.min_value if self.min_value is not None else self.question.min_value

    @property
    def effective_max(self):  # type: ignore[no-untyped-def]
        return self.max_value if self.max_value is not None else self.question.max_value

    @property
    def effective_options(self) -> list[str]:
        return list(self.options) if self.options is not None else list(self.question.options)

    @property
    def effective_alert_on(self) -> list[str]:
        return list(self.alert_on) if self.alert_on is not None else list(self.question.alert_on)
