"""Reads about people and teams, scoped by the tenant in context (and by site for people)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.core.files import File
from django.db.models import Prefetch, Q, QuerySet

from apps.core.errors import NotFound
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


def team_memberships_for(viewer: Any) -> QuerySet[TeamMembership]:
    """The memberships ``viewer`` may see (those of ``people_for(viewer)``), leads first."""
    memberships = TeamMembership.objects.order_by("-is_lead", "person__login")
    if sees_all_sites(viewer):
        return memberships
    return memberships.filter(person__in=people_for(viewer).order_by().values("pk"))


def teams_for(viewer: Any) -> QuerySet[Team]:
    """The teams ``viewer`` may see, with the memberships they may see.

    Tenant admins see every team and every member. Anyone else sees the teams with at
    least one member among ``people_for(viewer)``, and in those only the memberships of
    such people, so a team that spans sites does not reveal who works elsewhere.
    """
    if sees_all_sites(viewer):
        return teams()
    memberships = team_memberships_for(viewer)
    return (
        Team.objects.filter(pk__in=memberships.order_by().values("team_id"))
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("name", "pk")
    )


def get_team_for(viewer: Any, team_id: Any) -> Team | None:
    """One team by id, if ``viewer`` may see it, with the memberships they may see."""
    try:
        pk = int(team_id)
    except (TypeError, ValueError):
        return None
    return teams_for(viewer).filter(pk=pk).first()


def team_as_written_by(viewer: Any, team: Team) -> Team:
    """A team ``viewer`` has just created or edited, reloaded with the memberships they may
    see. Unlike ``get_team_for`` it is returned even when none of its members is visible
    (a team created empty, or whose visible members were all removed)."""
    return (
        Team.objects.prefetch_related(Prefetch("memberships", queryset=team_memberships_for(viewer)))
        .filter(pk=team.pk)
        .get()
    )


# ``.jpeg`` for photos set in the Django admin, which keeps the uploaded file's name.
PHOTO_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def person_photo(person: Person) -> tuple[File, str]:
    """A person's reference photo, opened for reading, and its content type.

    Raises ``NotFound`` (``no_photo``) when none is set or its file is gone. The type
    follows the stored name, which ``services.set_person_photo`` chose from the format
    Pillow found, never from what the client sent.
    """
    name = person.photo.name if person.photo else ""
    content_type = PHOTO_CONTENT_TYPES.get(PurePosixPath(name).suffix.lower())
    if not name or content_type is None:
        raise NotFound("This person has no photo.", code="no_photo")
    try:
        return person.photo.storage.open(name, "rb"), content_type
    except FileNotFoundError as exc:
        raise NotFound("This person has no photo.", code="no_photo") from exc


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
