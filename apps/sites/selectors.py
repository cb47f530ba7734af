"""Which sites a person may see: the one place site scope is decided.

Every site-scoped query (REST, GraphQL, admin, later jobs and reports) goes through
``sites_for`` or ``scope_to_sites``:
- tenant admins (``admin.manage``) see every site of the tenant;
- client viewers see the sites of their client, and nothing without one;
- everyone else sees their home site, the sites assigned to them and the sites of the
  site groups assigned to them.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from django.contrib.gis.db.models.functions import Distance as GeoDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.core import tenancy
from apps.core.cache import cached
from apps.core.errors import NotFound
from apps.core.geo import to_geojson

from .models import Client, Location, Shift, Site, SiteAssignment, SiteGroup

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


# --- Scoped querysets of the other site models --------------------------------------------


def clients_for(person: Any) -> QuerySet[Client]:
    """Clients ``person`` may see: all for admins, otherwise the clients of their visible sites."""
    clients = Client.objects.all()
    if sees_all_sites(person):
        return clients
    return clients.filter(pk__in=sites_for(person).values("client_id"))


def site_groups_for(person: Any) -> QuerySet[SiteGroup]:
    """Groups assigned to ``person`` or containing a site they may see (all for admins)."""
    groups = SiteGroup.objects.all()
    if sees_all_sites(person):
        return groups
    visible = Q(members__site__in=sites_for(person).values("pk")) | Q(assignments__person_id=person.pk)
    return groups.filter(pk__in=SiteGroup.objects.filter(visible).values("pk"))


def shifts_for(person: Any) -> QuerySet[Shift]:
    return scope_to_sites(Shift.objects.select_related("site"), person)


def locations_for(person: Any) -> QuerySet[Location]:
    return scope_to_sites(Location.objects.all(), person)


def site_assignments_for(person: Any) -> QuerySet[SiteAssignment]:
    """Assignments to sites or groups ``person`` may see, plus their own."""
    assignments = SiteAssignment.objects.select_related("site", "site_group")
    if sees_all_sites(person):
        return assignments
    return assignments.filter(
        Q(site__in=sites_for(person).values("pk"))
        | Q(site_group__in=site_groups_for(person).values("pk"))
        | Q(person_id=person.pk)
    )


def get_site_for(person: Any, site_id: Any) -> Site:
    """One site by id, if ``person`` may see it; otherwise ``NotFound`` (as if it did not exist)."""
    return _get(sites_for(person), site_id, "site")


def get_client_for(person: Any, client_id: Any) -> Client:
    return _get(clients_for(person), client_id, "client")


def _get(queryset: QuerySet[M], pk: Any, noun: str) -> M:
    row = queryset.filter(pk=int(pk)).first() if str(pk).isdigit() else None
    if row is None:
        raise NotFound(f"No such {noun}.")
    return row


# --- Spatial --------------------------------------------------------------------------------

MAX_NEAR_METRES = 100_000


MAX_SPATIAL_MATCHES = 1000


def _ids_from(function: str, args: tuple[Any, ...]) -> RawSQL:
    """``sites_site.id`` among the ids a spatial lookup function returns.

    Under row-level security the GiST indexes cannot answer ``ST_DWithin``/``ST_Covers``
    directly; the functions (migration sites 0003) run them as a role that bypasses RLS,
    within the tenant of the session setting, and the rows are then read through RLS by
    primary key.
    """
    placeholders = ", ".join(["%s"] * len(args))
    return RawSQL(  # noqa: S611 - a fixed function name, every value a bound parameter
        f'"sites_site"."id" = ANY(ARRAY(SELECT {function}({placeholders})))', args, output_field=BooleanField()
    )


def near(queryset: QuerySet[Site], point: Point, within_m: float) -> QuerySet[Site]:
    """Sites whose location is within ``within_m`` metres of ``point``, nearest first
    (at most ``MAX_SPATIAL_MATCHES``), with ``distance`` in metres."""
    within_m = min(within_m, MAX_NEAR_METRES)
    if isinstance(tenancy.current(), tenancy.TenantContext):
        matched = queryset.filter(_ids_from("yt_sites_near", (point.x, point.y, within_m, MAX_SPATIAL_MATCHES)))
    else:
        matched = queryset.filter(location__dwithin=(point, D(m=within_m)))
    return matched.annotate(distance=GeoDistance("location", point)).order_by("distance", "pk")


def covering(queryset: QuerySet[Site], point: Point) -> QuerySet[Site]:
    """Sites whose geofence covers ``point`` (boundary included), by name."""
    if isinstance(tenancy.current(), tenancy.TenantContext):
        matched = queryset.filter(_ids_from("yt_sites_covering", (point.x, point.y, MAX_SPATIAL_MATCHES)))
    else:
        matched = queryset.filter(geofence__covers=point)
    return matched.order_by("name", "pk")


# --- The cached site list of pickers and phones -------------------------------------------

CACHE_NAMESPACE = "sites"


def _scope_key(person: Any) -> str:
    """``all`` for admins; otherwise a digest of the visible site ids, so a change of
    assignment lands on a different key without a version bump."""
    if sees_all_sites(person):
        return "all"
    ids = ",".join(str(pk) for pk in sites_for(person).order_by("pk").values_list("pk", flat=True))
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def site_choices(person: Any) -> list[dict[str, Any]]:
    """The active sites ``person`` may see, as plain data, cached per tenant and scope.

    Any write to a site, client or group bumps the ``sites`` namespace on commit (see
    ``services.py``), so the next read recomputes.
    """

    def compute() -> list[dict[str, Any]]:
        rows = sites_for(person).filter(is_active=True).order_by("name", "pk")
        return [
            {
                "id": site.pk,
                "code": site.code,
                "name": site.name,
                "client": site.client_id,
                "timezone": site.timezone,
                "radius_m": site.radius_m,
                "location": to_geojson(site.location),
                "geofence": to_geojson(site.geofence),
            }
            for site in rows
        ]

    return cached(CACHE_NAMESPACE, f"choices:{_scope_key(person)}", compute)
