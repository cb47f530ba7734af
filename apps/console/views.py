"""The web console: sign-in, sign-out and the home page (later issues add the screens)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from apps.core import tenancy
from apps.core.errors import Throttled
from apps.people import throttling
from apps.people.selectors import me_payload

from .forms import TenantLoginForm


def session_login(request: HttpRequest, person: Any) -> None:
    """Start a console session for ``person``; the session remembers the tenant."""
    with tenancy.tenant_context(person.tenant):  # login() saves last_login on the person
        login(request, person, backend="apps.people.backends.TenantLoginBackend")  # a signal keeps the tenant


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = TenantLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = form.get_user()
        session_login(request, person)
        # Operators hold no capability the console serves: their place is the admin.
        landing = reverse("admin:index" if person.is_platform_operator else "console:home")
        target = request.POST.get("next") or request.GET.get("next") or landing
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = landing
        redirect = HttpResponseRedirect(target)
        redirect.set_cookie(
            throttling.DEVICE_COOKIE,
            getattr(request, "device_token", ""),
            max_age=settings.LOGIN_TRUSTED_DEVICE_SECONDS,
            path=reverse("console:login"),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return redirect
    throttled = getattr(request, "auth_error", None)
    if isinstance(throttled, Throttled):
        # The same 429 and Retry-After as the APIs: the password was not even looked at.
        response = render(
            request, "console/login.html", {"form": form, "next": request.GET.get("next", "")}, status=429
        )
        for name, value in throttled.headers.items():
            response[name] = value
        return response
    status = 400 if request.method == "POST" else 200
    return render(request, "console/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("console:login"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenancy.current_tenant()  # fail closed: a session without a tenant must not render tenant data
    context = {"me": me_payload(request.user), "admin_link": request.user.is_staff}  # type: ignore[arg-type]
    return render(request, "console/home.html", context)
