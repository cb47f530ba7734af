"""Admin pages that write through the domain services, as REST and GraphQL do.

A ``ServiceForm`` calls its service while the form is validated: a ``DomainError`` becomes
an error on the field it concerns and, the service being atomic, nothing is written.
``ServiceAdmin`` therefore saves nothing itself. Its "delete" calls ``remove``, which for
master data is the service's deactivation: jobs, attendance and reports keep pointing at
the row, so it must stay.

Who may open which model is decided in ``admin_platform`` (through ``Person.has_perm``);
this module also takes Django's groups out of the admin (see the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import context, tenancy
from .errors import DomainError


@contextmanager
def acting_as(person: Any) -> Iterator[None]:
    """Name ``person`` in the audit columns: the admin's session sets the tenant, not the actor."""
    token = context.set_actor(getattr(person, "pk", None), label=getattr(person, "login", ""))
    try:
        yield
    finally:
        context.reset_actor(token)


class ServiceForm(forms.ModelForm):
    """A model form whose ``write`` (a service call) saves the object while the form is validated.

    A ``DomainError`` is placed on the field it names: ``details["field"]`` (``meter.unit``
    counts as ``meter``), else ``error_fields[code]`` for services whose errors carry only a
    code, else ``unknown_<field>``; ``details["fields"]`` (a model's own checks) spreads over
    the fields. Anything else is shown above the form.
    """

    actor: Any = None  # the signed-in person; ServiceAdmin.get_form sets it
    error_fields: dict[str, str] = {}

    def write(self, data: dict[str, Any]) -> Model:
        """Create or update ``self.instance`` through the service and return the saved row."""
        raise NotImplementedError

    def _post_clean(self) -> None:
        # Replaces the model's full_clean and unique checks: the service runs its own.
        if self.errors:
            return
        try:
            with acting_as(self.actor), transaction.atomic(using=tenancy.db_alias()):
                self.instance = self.write(self.cleaned_data)
        except DomainError as exc:
            self.add_domain_error(exc)

    def error_field(self, exc: DomainError) -> str | None:
        named = str(exc.details.get("field") or "").split(".")[0]
        for candidate in (named, self.error_fields.get(exc.code, ""), exc.code.removeprefix("unknown_")):
            if candidate in self.fields:
                return candidate
        return None

    def add_domain_error(self, exc: DomainError) -> None:
        per_field = exc.details.get("fields")
        if isinstance(per_field, dict):
            for name, problems in per_field.items():
                self.add_error(name if name in self.fields else None, [str(problem) for problem in problems])
            return
        field = self.error_field(exc)
        where = exc.details.get("field")
        suffix = f"{exc.code}: {where}" if field is None and where else exc.code
        self.add_error(field, ValidationError(f"{exc.message} ({suffix})", code=exc.code))


class ServiceAdmin(admin.ModelAdmin):
    """Saves through its ``ServiceForm`` and deletes through ``remove``.

    With ``delete_deactivates`` (the default) the delete page, the bulk action and the
    history say "deactivated", and nothing is deleted. Inlines must be read-only: the service
    writes the whole object, and an editable formset would be saved behind its back.
    """

    delete_deactivates = True
    actions = ["deactivate_selected"]

    def remove(self, request: HttpRequest, obj: Any) -> None:
        """Deactivate ``obj`` (or, without ``delete_deactivates``, delete it) through the service."""
        raise NotImplementedError

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and "adminform" in (getattr(response, "context_data", None) or {}):
                # The form came back (an error here or in an inline): what it wrote must not stay.
                transaction.set_rollback(True, using=router.db_for_write(self.model))
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing left to do: the form's service call saved ``obj`` while it was validated."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service wrote the object's related rows with it, so no form.save_m2m(). Inlines
        # here are read-only: saving their formsets writes nothing, but the change message needs it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        try:
            with acting_as(request.user):
                self.remove(request, obj)
        except DomainError as exc:
            self.message_user(request, f"{obj}: {exc.message} ({exc.code})", messages.ERROR)
            return
        if self.delete_deactivates:
            self.log_change(request, obj, "Deactivated instead of deleted.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["delete"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        self.delete_queryset(request, queryset)
        done = self.model._default_manager.filter(pk__in=pks, is_active=False).count()
        self.message_user(request, f"Deactivated {done} of {len(pks)} {self.opts.verbose_name_plural}.")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected" if self.delete_deactivates else "deactivate_selected", None)
        return actions

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        if not self.delete_deactivates:
            return super().get_deleted_objects(objs, request)
        name = str(self.opts.verbose_name).capitalize()
        kept = [f"{name}: {obj} (deactivated; it is not deleted, nor is anything that refers to it)" for obj in objs]
        return kept, {str(self.opts.verbose_name_plural): len(kept)}, set(), []

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if self.delete_deactivates:
            extra_context = {**(extra_context or {}), "title": f"Deactivate {self.opts.verbose_name}"}
        return super().delete_view(request, object_id, extra_context)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Deactivations are logged as changes by delete_model, once they succeeded.
        return [] if self.delete_deactivates else super().log_deletions(request, queryset)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if not self.delete_deactivates or IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        if self.model._default_manager.filter(pk=obj_id, is_active=False).exists():
            self.message_user(request, f"The {self.opts.verbose_name} “{obj_display}” was deactivated.")
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist", current_app=self.admin_site.name
        )
        filters: dict[str, Any] = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(add_preserved_filters(filters, url))


# Groups and Django permissions are not how this project grants anything (roles and
# capabilities are, and Person has no groups): a Group page would only invite edits that
# change nothing, or that change something the day a package starts reading them.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
