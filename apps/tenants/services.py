"""Creating tenants and placing them in a database."""

from __future__ import annotations

from django.db import transaction

from apps.core.tenancy import TenantContext

from .models import Tenant


def _mirror(tenant: Tenant) -> None:
    """Keep the tenant row in its dedicated database, where its rows' FKs point."""
    if tenant.db_alias == "default":
        return
    fields = {f.attname: getattr(tenant, f.attname) for f in Tenant._meta.concrete_fields if not f.primary_key}
    Tenant.objects.using(tenant.db_alias).update_or_create(pk=tenant.pk, defaults=fields)


@transaction.atomic
def create_tenant(*, slug: str, name: str, timezone: str = "UTC", db_alias: str = "default") -> Tenant:
    tenant = Tenant(slug=slug, name=name, timezone=timezone, db_alias=db_alias)
    tenant.full_clean()
    tenant.save()
    _mirror(tenant)
    return tenant


def update_tenant(tenant: Tenant, **fields: object) -> Tenant:
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    with transaction.atomic():
        tenant.save()
    _mirror(tenant)
    return tenant


def get_active_tenant(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug, is_active=True).first()


def context_for(tenant: Tenant) -> TenantContext:
    return TenantContext.of(tenant)
