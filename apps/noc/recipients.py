"""Who is told about an alert: the people responsible for its site, then the tenant admins."""

from __future__ import annotations

from django.db.models import Q

from apps.people.models import Person
from apps.sites.models import Site


def _with_capability(capability: str) -> Q:
    return Q(roles__capabilities__contains=[capability])


def site_responsibles(site: Site | None) -> list[int]:
    """Ids of the site's in-charge and of its supervisors: active people who may act on
    alerts (``noc.manage``) and work at the site (home site, assigned directly or through
    a site group). Empty for an alert without a site."""
    if site is None:
        return []
    at_site = (
        Q(home_site_id=site.pk)
        | Q(site_assignments__site_id=site.pk)
        | Q(site_assignments__site_group__members__site_id=site.pk)
    )
    supervisors = Person.objects.filter(at_site, _with_capability("noc.manage"), is_active=True)
    ids = set(supervisors.values_list("pk", flat=True))
    if site.in_charge_id is not None and Person.objects.filter(pk=site.in_charge_id, is_active=True).exists():
        ids.add(site.in_charge_id)
    return sorted(ids)


def tenant_admins() -> list[int]:
    """Ids of the active people who manage the tenant (``admin.manage``)."""
    admins = Person.objects.filter(_with_capability("admin.manage"), is_active=True)
    return sorted(set(admins.values_list("pk", flat=True)))


def escalation_recipients(site: Site | None, level: int) -> list[int]:
    """Level 1: the site's in-charge and supervisors; level 2 and above, or a level 1 with
    nobody at the site: the tenant admins."""
    if level <= 1:
        responsible = site_responsibles(site)
        if responsible:
            return responsible
    return tenant_admins()
