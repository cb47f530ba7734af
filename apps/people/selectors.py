"""Reads about people and teams, scoped by the tenant in context (and by site for people)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from apps.sites.models import SiteAssignment
from apps.sites.selectors import sees_all_sites, sites_for

from .models import Person, Team, TeamMembership


def people() -> QuerySet[Person]:
    return Person.objects.all().prefetch_related("roles").order_by("login")


def people_for(viewer: Any) -> QuerySet[Person]:
    """The people ``viewer`` may see: everyone for tenant admins; otherwise themselves and
    the people whose home site or assigned sites (directly or through a site group) are
    among ``sites_for(viewer)``."""
    queryset = people()
    if sees_all_sites(viewer):
        return queryset
    visible = sites_for(viewer).values("pk")
    related = Person.objects.filter(
        Q(home_site__in=visible)
        | Q(site_assignments__site__in=visible)
        | Q(site_assignments__site_group__members__site__in=visible)
    ).values("pk")
    return queryset.filter(Q(pk__in=related) | Q(pk=viewer.pk))


def get_person_for(viewer: Any, person_id: Any) -> Person | None:
    """One person by id, if ``viewer`` may see them (the one door for ids from clients)."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        return None
    return people_for(viewer).filter(pk=pk).first()


def site_assignments(person: Person) -> dict[str, Any]:
    """Where a person may work, as ids: home site, assigned sites, assigned site groups."""
    rows = list(SiteAssignment.objects.filter(person=person).values_list("site_id", "site_group_id"))
    return {
        "home_site": person.home_site_id,
        "sites": sorted(site for site, _ in rows if site is not None),
        "site_groups": sorted(group for _, group in rows if group is not None),
    }


def teams() -> QuerySet[Team]:
    memberships = TeamMembership.objects.order_by("-is_lead", "person__login")
    return Team.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).order_by("name", "pk")


def get_team(team_id: Any) -> Team | None:
    try:
        pk = int(team_id)
    except (TypeError, ValueError):
        return None
    return teams().filter(pk=pk).first()


def me_payload(person: Person) -> dict[str, object]:
    return {
        "id": person.pk,
        "uuid": person.uuid,
        "login": person.login,
        "name": person.name,
        "email": person.email,
        "tenant": person.tenant.slug,
        "roles": person.role_codes(),
        "capabilities": sorted(person.capability_set()),
        "device_id": person.bound_device_id,
    }
