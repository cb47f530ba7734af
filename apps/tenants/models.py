"""The tenant: a service company, the isolation boundary of all its data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from apps.core.models import TenantModel
from apps.core.validators import code_validator

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$", "Use 3-50 lowercase letters, digits and dashes.")


#: Checks of ``Tenant.settings`` by section: each takes the whole settings and lists what is
#: wrong with its section (nothing when the section is absent). The app that reads a section
#: registers its check from its ``ready()``: every app builds on this one, so it imports
#: none of them.
SETTINGS_CHECKS: dict[str, Callable[[Any], list[str]]] = {}


def register_settings_check(section: str, check: Callable[[Any], list[str]]) -> None:
    SETTINGS_CHECKS[section] = check


def validate_db_alias(value: str) -> None:
    if value not in settings.DATABASES:
        raise ValidationError(f"Unknown database alias {value!r}; configured: {', '.join(settings.DATABASES)}.")


class Tenant(models.Model):
    """A service company. Not tenant-owned itself: it lives in the ``default`` database,
    and a copy of the row is kept in the tenant's dedicated database when it has one
    (tenant-owned rows there need it as their foreign-key target)."""

    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    settings = models.JSONField(default=dict, blank=True)
    db_alias = models.CharField(
        max_length=64,
        default="default",
        validators=[validate_db_alias],
        help_text="Database that holds this tenant's data (see TENANT_DATABASE_URLS).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        problems = [problem for check in SETTINGS_CHECKS.values() for problem in check(self.settings)]
        if problems:
            raise ValidationError({"settings": problems})


class Lookup(TenantModel):
    """Per-tenant typed code lists (departments, designations, ticket categories, ...)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "DEPARTMENT", "Department"
        DESIGNATION = "DESIGNATION", "Designation"
        TICKET_CATEGORY = "TICKET_CATEGORY", "Ticket category"
        ASSET_CLASS = "ASSET_CLASS", "Asset class"
        EVENT_TYPE = "EVENT_TYPE", "Event type"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="Order in pickers.")
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "kind", "code"], name="tenants_lookup_tenant_kind_code"),
        ]
        ordering = ["kind", "position", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"
