"""Django admin for a tenant's people and roles; querysets follow the signed-in tenant."""

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from apps.tenants.models import Lookup

from . import selectors, services
from .models import Person, Role, Team, TeamMembership


def _console_login(request: HttpRequest, extra_context: object = None) -> HttpResponseRedirect:
    """The admin signs in through the console's form, which asks for the tenant."""
    return HttpResponseRedirect(f"{reverse('console:login')}?{urlencode({'next': request.get_full_path()})}")


admin.site.login = _console_login  # type: ignore[method-assign]
admin.site.site_header = "Youtility administration"


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """People the signed-in staff member may see (tenant, then site scope, like the API)."""

    list_display = ["login", "name", "code", "email", "home_site", "designation", "is_active", "left_on"]
    list_filter = ["is_active"]
    search_fields = ["login", "name", "code", "email"]
    fields = [
        "login",
        "name",
        "code",
        "email",
        "mobile",
        "home_site",
        "reports_to",
        "department",
        "designation",
        "client",
        "photo",
        "bound_device_id",
        "is_active",
        "left_on",
    ]
    readonly_fields = ["left_on"]
    raw_id_fields = ["reports_to"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.people_for(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in {"department", "designation"}:
            kind = Lookup.Kind.DEPARTMENT if db_field.name == "department" else Lookup.Kind.DESIGNATION
            kwargs["queryset"] = Lookup.objects.filter(kind=kind)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        obj.is_active = obj.is_active or deactivated
        super().save_model(request, obj, form, change)
        if deactivated:
            services.deactivate_person(obj, by=cast(Person, request.user))  # records left_on, ends sessions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: jobs and reports keep pointing at the person


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    fields = ["person", "is_lead"]
    raw_id_fields = ["person"]
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "is_active"]
    inlines = [TeamMembershipInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.teams()
