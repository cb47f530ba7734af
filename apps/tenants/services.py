"""Creating tenants and placing them in a database."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core import tenancy
from apps.core.cache import bump_on_commit
from apps.core.errors import DomainError
from apps.core.rls import version_sequence
from apps.core.tenancy import TenantContext

from .models import Lookup, Tenant


def _mirror(tenant: Tenant) -> None:
    """Keep the tenant row in its dedicated database, where its rows' FKs point."""
    if tenant.db_alias == "default":
        return
    fields = {f.attname: getattr(tenant, f.attname) for f in Tenant._meta.concrete_fields if not f.primary_key}
    Tenant.objects.using(tenant.db_alias).update_or_create(pk=tenant.pk, defaults=fields)


@transaction.atomic
def create_tenant(
    *, slug: str, name: str, timezone: str = "UTC", db_alias: str = "default", platform: bool = False
) -> Tenant:
    """Create a tenant (mirrored into its dedicated database, if any) and its version
    sequence in the database its rows live in, so its first write finds it.

    The platform tenant's slug (``PLATFORM_TENANT_SLUG``) is reserved for ``platform=True``,
    which only ``apps.people.operators`` passes: a customer tenant under that slug would
    hold tenant admins able to reset the operators' passwords."""
    if (slug == settings.PLATFORM_TENANT_SLUG) != platform:
        reason = "is reserved for the platform operators" if not platform else "is not the platform tenant's"
        raise ValidationError({"slug": [f"The slug {slug!r} {reason}."]})
    tenant = Tenant(slug=slug, name=name, timezone=timezone, db_alias=db_alias)
    tenant.full_clean()
    tenant.save()
    _mirror(tenant)
    version_sequence(tenant.pk, using=tenant.db_alias)
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


# --- Lookups ---------------------------------------------------------------------------

LOOKUPS_CACHE = "lookups"
LOOKUP_FIELDS = ("code", "name", "position", "is_active")


def lookups_changed() -> None:
    """Make the cached lookup lists of the tenant in context stale once this transaction commits."""
    bump_on_commit(LOOKUPS_CACHE)


def save_lookup(lookup: Lookup) -> Lookup:
    """Validate and save a new or edited lookup (code unique per kind), invalidating cached lists."""
    if lookup.kind not in Lookup.Kind.values:
        raise DomainError(
            f"Unknown lookup kind {lookup.kind!r}.", code="invalid_kind", details={"kinds": list(Lookup.Kind.values)}
        )
    duplicate = Lookup.objects.filter(kind=lookup.kind, code=lookup.code).exclude(pk=lookup.pk).exists()
    if duplicate:
        raise DomainError(
            f"A {lookup.get_kind_display().lower()} with code {lookup.code!r} already exists.",
            code="duplicate_code",
            details={"field": "code", "value": lookup.code},
        )
    try:
        lookup.full_clean(exclude=["tenant"], validate_constraints=False)
    except ValidationError as exc:
        raise DomainError("The lookup is not valid.", code="invalid", details={"fields": exc.message_dict}) from exc
    with transaction.atomic(using=tenancy.db_alias()):
        lookup.save()
        lookups_changed()
    return lookup


def create_lookup(*, kind: str, code: str, name: str, position: int = 0, is_active: bool = True) -> Lookup:
    """Add an entry to one of the tenant's code lists; ``code`` is unique per kind."""
    return save_lookup(Lookup(kind=kind, code=code, name=name, position=position, is_active=is_active))


def update_lookup(lookup: Lookup, **fields: object) -> Lookup:
    """Change code, name, position or active flag; the kind of an entry never changes,
    because rows of other models point at it as that kind."""
    unknown = set(fields) - set(LOOKUP_FIELDS)
    if unknown:
        raise TypeError(f"update_lookup() got unexpected fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(lookup, name, value)
    return save_lookup(lookup)


def deactivate_lookup(lookup: Lookup) -> Lookup:
    """Hide an entry from pickers; rows that already use it keep it (history stays intact)."""
    return update_lookup(lookup, is_active=False)
