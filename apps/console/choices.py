"""Options for the console's pickers, built from the selectors.

The assignee pickers offer the people the services would accept: active people the
actor may see (``people_for``) who may see the site themselves (``sites_for``, the check
``assign_alert`` and the ticket services make). A cheap query narrows the candidates to
people with some tie to the site (admins, its client's people, home site, assignments),
then each is checked with ``sites_for`` itself, so the list follows that selector's rule
exactly and costs one small query per non-admin candidate, not per person of the tenant.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.people.models import Person, Team
from apps.people.selectors import people_for, teams_for
from apps.sites.models import Site
from apps.sites.selectors import sees_all_sites, sites_for
from apps.tenants.models import Lookup
from apps.tenants.selectors import cached_lookups


def _sees_everything() -> Q:
    # The rule of sees_all_sites: admin.manage, from roles only (is_superuser grants no capability).
    return Q(roles__capabilities__contains=["admin.manage"])


def _tied_to(site: Site) -> Q:
    return (
        _sees_everything()
        | Q(client_id=site.client_id)
        | Q(home_site_id=site.pk)
        | Q(site_assignments__site_id=site.pk)
        | Q(site_assignments__site_group__members__site_id=site.pk)
    )


def people_seeing(actor: Any, site: Site | None) -> list[Person]:
    """Active people ``actor`` may see who may see ``site`` (with no site: those who see
    every site, as for an alert raised without one), by name."""
    tie = _sees_everything() if site is None else _tied_to(site)
    candidates = people_for(actor).filter(is_active=True, pk__in=Person.objects.filter(tie).values("pk"))
    chosen = []
    for person in candidates.order_by("name", "login"):
        if sees_all_sites(person) or (site is not None and sites_for(person).filter(pk=site.pk).exists()):
            chosen.append(person)
    return chosen


def teams_of(actor: Any) -> list[Team]:
    """Active teams ``actor`` may see, by name."""
    return list(teams_for(actor).filter(is_active=True))


def sites_of(person: Any) -> list[Site]:
    """The sites ``person`` may see, by code."""
    return list(sites_for(person).order_by("code", "pk"))


def ticket_categories() -> list[Lookup]:
    """Active ticket categories of the tenant, in picker order."""
    return cached_lookups(Lookup.Kind.TICKET_CATEGORY, is_active=True)
