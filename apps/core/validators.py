"""Validators shared by master-data models."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$",
    "Codes are 1-50 letters, digits, dots, dashes or underscores, starting with a letter or digit.",
    code="invalid_code",
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not a known time zone (for example Asia/Kolkata).", code="invalid_timezone"
        )
