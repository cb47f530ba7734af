"""Django admin for questions and checklists; querysets follow the signed-in tenant.

Questions are saved through the services, so the admin obeys the same rules as the API.
Checklist items change only by publishing (API or GraphQL), so versions, sections and
items are read-only here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.core.errors import DomainError

from . import selectors, services
from .models import Checklist, ChecklistItem, ChecklistVersion, Question


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "code",
            "text",
            "answer_type",
            "options",
            "min_value",
            "max_value",
            "alert_on",
            "attachment",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            services.check_rules(
                data.get("answer_type", ""),
                data.get("options"),
                data.get("min_value"),
                data.get("max_value"),
                data.get("alert_on"),
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["code", "text", "answer_type", "is_active"]
    list_filter = ["answer_type", "is_active"]
    search_fields = ["code", "text"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.questions()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: published checklists refer to questions

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in QuestionForm.Meta.fields}
        try:
            if change:
                original = selectors.get_question(obj.pk)
                services.update_question(original, **fields)
            else:
                is_active = fields.pop("is_active")
                saved = services.create_question(**fields)
                if not is_active:
                    services.deactivate_question(saved)
                obj.pk = saved.pk
        except DomainError as exc:
            # The form already ran the same rules; what is left is a race (duplicate code).
            self.message_user(request, f"{exc.message} ({exc.code})", level="error")


class ItemInline(ReadOnlyMixin, admin.TabularInline):
    model = ChecklistItem
    fields = ["position", "section", "question", "mandatory", "min_value", "max_value", "options", "alert_on"]
    readonly_fields = ["position", "section", "question", "mandatory", "min_value", "max_value", "options", "alert_on"]
    extra = 0


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


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    """Name, kind and active flag are editable; items change by publishing a version."""

    list_display = ["code", "name", "kind", "current_version", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "kind", "current_version", "is_active"]
    readonly_fields = ["code", "current_version", "is_active"]
    inlines = [VersionInline]
    actions = ["deactivate"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.checklists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a checklist starts with its first version, published through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Checklist, form: Any, change: bool) -> None:
        original = selectors.get_checklist(obj.pk)
        services.update_checklist(original, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"])

    @admin.action(description="Deactivate the selected checklists")
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for checklist in queryset:
            services.deactivate_checklist(checklist)
