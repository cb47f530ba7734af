from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate


class TenantLoginForm(forms.Form):
    """Sign-in for the console and the admin: tenant, login and password."""

    tenant = forms.SlugField(max_length=50, label="Company")
    username = forms.CharField(max_length=150, label="Login")
    password = forms.CharField(max_length=256, strip=False, widget=forms.PasswordInput)

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        user = authenticate(self.request, tenant=data["tenant"], username=data["username"], password=data["password"])
        if user is None:
            error = getattr(self.request, "auth_error", None)
            code = getattr(error, "code", "invalid_credentials")
            if code in {"auth_throttled", "auth_locked"}:
                raise forms.ValidationError(error.message, code=code)  # type: ignore[union-attr]
            raise forms.ValidationError("Company, login or password is not correct.", code="invalid_credentials")
        self.user_cache = user
        return data

    def get_user(self) -> Any:
        return self.user_cache
