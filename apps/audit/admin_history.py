"""The Django admin's "History" of every tenant-owned object shows its change log entries.

Django's own history reads ``LogEntry``, which only the admin writes; the change log has
every door. ``install`` (run from the app's ``ready``, after the admin has discovered its
modules and before its URLs are built) gives every registered admin of a logged model
this ``history_view`` instead, whatever its base class: one override, applied generically.
"""

from __future__ import annotations

from types import MethodType
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from . import selectors
from .capture import is_logged
from .presentation import rows_of


def history_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str, extra_context: Any = None
) -> HttpResponse:
    """The object's change log entries, and those of rows that name it (its roles, stops...)."""
    opts = model_admin.model._meta
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        return model_admin._get_obj_does_not_exist_redirect(request, opts, object_id)  # type: ignore[attr-defined]
    if not model_admin.has_view_or_change_permission(request, obj) or not selectors.may_read(request.user):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Change history: {obj}",
        "subtitle": None,
        "rows": rows_of(selectors.history(obj)),
        "limit": selectors.HISTORY_LIMIT,
        "module_name": str(opts.verbose_name_plural).capitalize(),
        "object": obj,
        "opts": opts,
        "preserved_filters": model_admin.get_preserved_filters(request),
        **(extra_context or {}),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/audit/object_history.html", context)


def install(site: admin.AdminSite = admin.site) -> list[str]:
    """Replace ``history_view`` on every registered admin of a logged model; returns their labels."""
    done = []
    for model, model_admin in site._registry.items():
        if is_logged(model):
            model_admin.history_view = MethodType(history_view, model_admin)  # type: ignore[method-assign]
            done.append(model._meta.label_lower)
    return done
