"""Django admin for questions and checklists; querysets follow the signed-in tenant.

Every write goes through the services, so the admin obeys the same rules as the API.
Published versions never change: editing an item of a checklist's current version
publishes a new version with that change, and "delete" deactivates questions and
checklists, because published versions and finished work refer to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.core.errors import DomainError

from . import selectors, services
from .models import Checklist, ChecklistItem, ChecklistVersion, Question
from .validation import CHOICE_TYPES

QUESTION_FIELDS = ["code", "text", "answer_type", "options", "min_value", "max_value", "alert_on", "attachment"]


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QuestionForm(ServiceForm):
    class Meta:
        model = Question
        fields = [*QUESTION_FIELDS, "is_active"]

    def write(self, data: dict[str, Any]) -> Question:
        fields = {name: data[name] for name in QUESTION_FIELDS}
        if self.instance.pk is not None:
            return services.update_question(self.instance, **fields, is_active=data["is_active"])
        question = services.create_question(**fields)
        return question if data["is_active"] else services.deactivate_question(question)


@admin.register(Question)
class QuestionAdmin(ServiceAdmin):
    """Deleting deactivates: published checklists refer to questions."""

    form = QuestionForm
    list_display = ["code", "text", "answer_type", "is_active"]
    list_filter = ["answer_type", "is_active"]
    search_fields = ["code", "text"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.questions()

    def remove(self, request: HttpRequest, obj: Question) -> None:
        services.deactivate_question(obj)


class ChecklistItemForm(ServiceForm):
    """Saving publishes a new version of the item's checklist, equal to the current one but
    for this item; the current version is left as it was.

    Empty options or limits inherit the question's; empty alert values mean no alerts.
    """

    class Meta:
        model = ChecklistItem
        fields = ["mandatory", "min_value", "max_value", "options", "alert_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path = ""  # the item's place in publish_checklist's sections, once known
        options = self.fields.get("options")
        if options is not None and self.instance.pk and self.instance.question.answer_type not in CHOICE_TYPES:
            options.disabled = True
            options.help_text = "Only dropdown and multiselect items narrow their question's options."

    def error_field(self, exc: DomainError) -> str | None:
        where = str(exc.details.get("field") or "")
        name = where.removeprefix(f"{self.path}.") if self.path and where.startswith(f"{self.path}.") else ""
        return name if name in self.fields else None

    def write(self, data: dict[str, Any]) -> ChecklistItem:
        item: ChecklistItem = self.instance
        version = item.checklist_version
        checklist = version.checklist
        sections = services.version_as_sections(version)
        choice = set(
            Question.objects.filter(uses__checklist_version=version, answer_type__in=CHOICE_TYPES).values_list(
                "pk", flat=True
            )
        )
        section_ids: list[int | None] = list(version.sections.order_by("position").values_list("pk", flat=True))
        s_index = section_ids.index(item.section_id)
        in_section = ChecklistItem.objects.filter(section_id=item.section_id).order_by("position")
        i_index = list(in_section.values_list("pk", flat=True)).index(item.pk)
        self.path = f"sections[{s_index}].items[{i_index}]"
        sections[s_index]["items"][i_index].update(
            mandatory=data["mandatory"],
            min_value=data["min_value"],
            max_value=data["max_value"],
            options=(data["options"] or None) if item.question_id in choice else None,
            alert_on=data["alert_on"] or [],
        )
        published = services.publish_checklist(
            checklist, name=checklist.name, kind=checklist.kind, sections=sections, published_by=self.actor
        )
        position = sum(len(section["items"]) for section in sections[:s_index]) + i_index
        return selectors.items_of(published).get(position=position)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ServiceAdmin):
    """Items are opened from their version's page; only those of a current version can change."""

    form = ChecklistItemForm
    list_display = ["checklist_version", "position", "question", "mandatory"]
    fields = [
        "checklist_version",
        "section_title",
        "question",
        "mandatory",
        "min_value",
        "max_value",
        "options",
        "alert_on",
    ]
    readonly_fields = ["checklist_version", "section_title", "question"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return ChecklistItem.objects.select_related("checklist_version__checklist", "question", "section")

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # not listed on the admin index

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items are added by publishing a version (API or GraphQL)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        checklist = obj.checklist_version.checklist
        return bool(checklist.is_active and checklist.current_version_id == obj.checklist_version_id)

    def save_model(self, request: HttpRequest, obj: ChecklistItem, form: Any, change: bool) -> None:
        version = obj.checklist_version
        self.message_user(request, f"Published {version}; the earlier versions are unchanged.")

    @admin.display(description="section")
    def section_title(self, obj: ChecklistItem) -> str:
        return obj.section.title if obj.section else ""


class ItemInline(ReadOnlyMixin, admin.TabularInline):
    model = ChecklistItem
    fields = ["position", "section", "question", "mandatory", "min_value", "max_value", "options", "alert_on"]
    readonly_fields = ["position", "section", "question", "mandatory", "min_value", "max_value", "options", "alert_on"]
    extra = 0
    show_change_link = True  # an item of the current version is edited on its own page


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["checklist", "number", "published_at", "published_by"]
    fields = ["checklist", "number", "published_at", "published_by"]
    readonly_fields = ["checklist", "number", "published_at", "published_by"]
    inlines = [ItemInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.versions()


class VersionInline(ReadOnlyMixin, admin.TabularInline):
    model = ChecklistVersion
    fk_name = "checklist"
    fields = ["number", "published_at", "published_by"]
    readonly_fields = ["number", "published_at", "published_by"]
    extra = 0
    show_change_link = True


class ChecklistForm(ServiceForm):
    class Meta:
        model = Checklist
        fields = ["name", "kind"]

    def write(self, data: dict[str, Any]) -> Checklist:
        return services.update_checklist(self.instance, name=data["name"], kind=data["kind"])


@admin.register(Checklist)
class ChecklistAdmin(ServiceAdmin):
    """Name and kind are editable; items change by publishing a version; "delete" deactivates."""

    form = ChecklistForm
    list_display = ["code", "name", "kind", "current_version", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "kind", "current_version", "is_active"]
    readonly_fields = ["code", "current_version", "is_active"]
    inlines = [VersionInline]  # read-only, so the service still writes everything

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.checklists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a checklist starts with its first version, published through the API

    def remove(self, request: HttpRequest, obj: Checklist) -> None:
        services.deactivate_checklist(obj)
