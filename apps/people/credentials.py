"""Passwords and sign-ins: the checks and revocations that the sign-in services
(``services``) and the profile services (``profiles``) share.

They sit below both so that neither imports the other for them: ``services`` re-exports
the profile functions, and a profile change (new password, deactivation) ends sign-ins.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone

from apps.core.errors import DomainError

from .models import Person, RefreshToken


def _revoked_key(family: uuid.UUID | str) -> str:
    return f"revoked-family:{family}"


def check_password_strength(raw_password: str, person: Person | None = None) -> None:
    """Apply the installation's password validators (AUTH_PASSWORD_VALIDATORS)."""
    try:
        password_validation.validate_password(raw_password, user=person)
    except DjangoValidationError as exc:
        raise DomainError(
            "The password is not strong enough.",
            code="invalid_password",
            details={"messages": list(exc.messages), "codes": [e.code for e in exc.error_list]},
        ) from exc


def revoke_family(family: uuid.UUID) -> None:
    """End one sign-in: its refresh tokens and the access tokens issued with them."""
    RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # Access tokens of the family die at once too, not only when they expire. Written
    # before commit on purpose: if the transaction rolled back, the worst case is an
    # early logout, never a revoked token that keeps working.
    cache.set(_revoked_key(family), True, timeout=settings.JWT_ACCESS_TTL_SECONDS + 60)


def family_revoked(family: uuid.UUID | str) -> bool:
    """Whether the access tokens of this sign-in were revoked before they expire."""
    return bool(cache.get(_revoked_key(family)))


def revoke_all_sessions(person: Person) -> int:
    """Revoke every sign-in of a person (password change, deactivation by an admin)."""
    families = list(
        RefreshToken.objects.filter(person=person, revoked_at__isnull=True).values_list("family", flat=True).distinct()
    )
    for family in families:
        revoke_family(family)
    return len(families)
