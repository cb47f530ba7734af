"""Django admin for a tenant's people and roles; querysets follow the signed-in tenant."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import Person, Role


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
    list_display = ["login", "name", "email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["login", "name", "email"]
    fields = ["login", "name", "email", "is_active", "bound_device_id"]
