"""Platform operators: the people who govern the installation rather than a tenant.

An operator is a person of the platform tenant (slug ``PLATFORM_TENANT_SLUG``, created
here on first use) with ``is_superuser`` (``Person.is_platform_operator``). In the Django
admin they see tenants, Celery beat schedules and task results, and no tenant's rows
(``apps/core/admin_platform.py``); elsewhere they hold no capability at all.

The platform tenant holds operators and nothing else. It has no roles, so none of its
people is a tenant admin who could reset an operator's password, and the slug cannot be
taken by a customer (``apps.tenants.services.create_tenant`` reserves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.tenants.models import Tenant
from apps.tenants.services import create_tenant, update_tenant

from .credentials import check_password_strength
from .models import Person, Role
from .profiles import create_person, update_person

PLATFORM_TENANT_NAME = "Platform operators"


@dataclass(frozen=True)
class OperatorResult:
    person: Person
    tenant: Tenant
    created: bool


def platform_tenant() -> Tenant | None:
    """The platform tenant, or None before the first operator was created."""
    return Tenant.objects.filter(slug=settings.PLATFORM_TENANT_SLUG).first()


@transaction.atomic
def create_operator(*, login: str, password: str, name: str = "", email: str = "") -> OperatorResult:
    """Create the operator ``login`` in the platform tenant, or promote the person of that
    login there: active again, operator, with this password (which ends their sessions).

    The password must pass the installation's validators (``invalid_password``). The
    platform tenant is created on first use and reactivated if it was switched off, since
    this command is how operators get back in. Raises ``platform_tenant_has_roles`` if
    someone gave the platform tenant roles: its people would then hold tenant capabilities.
    """
    check_password_strength(password)
    tenant = platform_tenant()
    if tenant is None:
        tenant = create_tenant(slug=settings.PLATFORM_TENANT_SLUG, name=PLATFORM_TENANT_NAME, platform=True)
    elif not tenant.is_active:
        tenant = update_tenant(tenant, is_active=True)
    with tenant_context(tenant):
        if Role.objects.exists():
            raise DomainError(
                f"The platform tenant {tenant.slug!r} holds roles; it must hold operators only.",
                code="platform_tenant_has_roles",
            )
        person = Person.objects.filter(login=login).first()
        created = person is None
        if person is None:
            person = create_person(login=login, name=name or login, email=email, password=password, roles=[])
        else:
            profile: dict[str, Any] = {key: value for key, value in (("name", name), ("email", email)) if value}
            person = update_person(person, password=password, is_active=True, **profile)
        person.is_superuser = True
        person.save(update_fields=["is_superuser", "modified_at", "modified_by"])
    return OperatorResult(person=person, tenant=tenant, created=created)
