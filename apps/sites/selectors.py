"""Which sites a person may see: the one place site scope is decided.

Every site-scoped query (REST, GraphQL, admin, later jobs and reports) goes through
``sites_for`` or ``scope_to_sites``:
- tenant admins (``admin.manage``) see every site of the tenant;
- client viewers see the sites of their client, and nothing without one;
- everyone else sees their home site, the sites assigned to them and the sites of the
  site groups assigned to them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from .models import Site

M = TypeVar("M", bound=Model)


def sees_all_sites(person: Any) -> bool:
    return bool(person.has_capability("admin.manage"))


def sites_for(person: Any) -> QuerySet[Site]:
    """The sites ``person`` may see, as a queryset of the tenant in context."""
    sites = Site.objects.all()
    if sees_all_sites(person):
        return sites
    if person.has_capability("client.portal") and not person.has_capability("console.access"):
        return sites.filter(client_id=person.client_id) if person.client_id else sites.none()
    assigned = Q(assignments__person_id=person.pk) | Q(group_memberships__group__assignments__person_id=person.pk)
    if person.home_site_id:
        assigned |= Q(pk=person.home_site_id)
    return sites.filter(pk__in=Site.objects.filter(assigned).values("pk"))


def scope_to_sites(queryset: QuerySet[M], person: Any, field: str = "site") -> QuerySet[M]:
    """Restrict a queryset of site-owned rows to the sites ``person`` may see."""
    if sees_all_sites(person):
        return queryset
    if field == "pk":
        return queryset.filter(pk__in=sites_for(person).values("pk"))
    return queryset.filter(**{f"{field}__in": sites_for(person).values("pk")})
