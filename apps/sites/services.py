"""Writes of clients, sites, site groups, shifts, areas and site assignments.

Every function validates, writes inside one transaction and bumps the tenant's
``sites`` cache namespace on commit, so pickers see the change on their next read.
``actor`` is the person acting (``None`` for system jobs and imports): foreign ids must
then also name rows the actor may see, and a row outside their scope is reported exactly
like one that does not exist.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point, Polygon
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from apps.audit import services as changelog
from apps.core import tenancy
from apps.core.cache import bump_on_commit
from apps.core.errors import DomainError
from apps.tenants.models import Lookup

from . import selectors
from .models import Client, Location, Shift, Site, SiteAssignment, SiteGroup, SiteGroupMember

UNSET: Any = object()
_RANGE_CODES = {"max_value": "value_out_of_range", "min_value": "value_out_of_range"}


class SiteDataError(DomainError):
    code = "invalid_site_data"
    message = "The data is not valid."


def _atomic() -> Any:
    return transaction.atomic(using=tenancy.db_alias())


def _resolve(queryset: QuerySet[Any], pk: Any, what: str) -> Any:
    """The row ``pk`` of ``queryset`` (already tenant- and actor-scoped) or ``unknown_<what>``."""
    if pk is None:
        return None
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError):
        raise SiteDataError(
            f"No {what.replace('_', ' ')} with id {pk!r}.", code=f"unknown_{what}", details={"id": pk}
        ) from None


def _people() -> QuerySet[Any]:
    """The people of the tenant in context. The user model comes from Django's registry
    (``AUTH_USER_MODEL``, as the site models name it): the people app builds on this one
    for site scope, so this one does not import it."""
    return get_user_model().objects.all()


def _sites(actor: Any) -> QuerySet[Site]:
    return selectors.sites_for(actor) if actor is not None else Site.objects.all()


def _clients(actor: Any) -> QuerySet[Client]:
    return selectors.clients_for(actor) if actor is not None else Client.objects.all()


def _groups(actor: Any) -> QuerySet[SiteGroup]:
    return selectors.site_groups_for(actor) if actor is not None else SiteGroup.objects.all()


def _check_unique(queryset: QuerySet[Any], instance: Model | None, **fields: Any) -> None:
    """Refuse a duplicate code (or name) before the unique constraint would."""
    clash = queryset.filter(**fields)
    if instance is not None and instance.pk is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        label = ", ".join(f"{key} {value!r}" for key, value in fields.items() if not key.endswith("_id"))
        raise SiteDataError(f"Another row already has {label}.", code="duplicate_code", details=fields)


def _save(instance: Model) -> None:
    """Validate field-level rules (code format, lengths) and save; a constraint race is a duplicate."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(
            exclude=["tenant", "location", "geofence"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        # Django's own range codes become the project's one code for a value out of bounds.
        codes = [
            _RANGE_CODES.get(error.code or "", error.code) for errors in exc.error_dict.values() for error in errors
        ]
        raise SiteDataError(
            "The data is not valid.",
            code=codes[0] if len(set(codes)) == 1 and codes[0] else "invalid",
            details={"fields": exc.message_dict},
        ) from exc
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            instance.save()
    except IntegrityError as exc:
        raise SiteDataError("The row clashes with an existing one.", code="duplicate_code") from exc


def _set(instance: Model, **changes: Any) -> None:
    for name, value in changes.items():
        if value is not UNSET:
            setattr(instance, name, value)


def _bump() -> None:
    bump_on_commit(selectors.CACHE_NAMESPACE)


# --- Clients --------------------------------------------------------------------------------


def _check_contract(client: Client) -> None:
    if client.contract_start and client.contract_end and client.contract_end < client.contract_start:
        raise SiteDataError(
            "The contract cannot end before it starts.",
            code="contract_end_before_start",
            details={"contract_start": str(client.contract_start), "contract_end": str(client.contract_end)},
        )


def create_client(
    *,
    code: str,
    name: str,
    contract_start: date | None = None,
    contract_end: date | None = None,
    preferences: dict[str, Any] | None = None,
    is_active: bool = True,
    actor: Any = None,
) -> Client:
    """Create a client; its code is unique in the tenant."""
    client = Client(
        code=code,
        name=name,
        contract_start=contract_start,
        contract_end=contract_end,
        preferences=preferences or {},
        is_active=is_active,
    )
    with _atomic():
        _check_contract(client)
        _check_unique(Client.objects.all(), None, code=code)
        _save(client)
        _bump()
    return client


def update_client(client: Client, *, actor: Any = None, **changes: Any) -> Client:
    """Change the given fields of ``client`` (``code``, ``name``, contract dates, preferences, active)."""
    with _atomic():
        _set(client, **changes)
        _check_contract(client)
        _check_unique(Client.objects.all(), client, code=client.code)
        _save(client)
        _bump()
    return client


def deactivate_client(client: Client, *, actor: Any = None) -> Client:
    """Deactivate a client and its sites. Rows stay, so past work and reports keep them."""
    with _atomic():
        client.is_active = False
        _save(client)
        sites = list(Site.objects.filter(client_id=client.pk, is_active=True).values_list("pk", flat=True))
        Site.objects.filter(pk__in=sites).update(is_active=False)
        changelog.record_bulk(
            Site,
            changelog.Action.BULK_UPDATE,
            count=len(sites),
            ids=sites,
            related=client,
            summary=f"{len(sites)} sites deactivated with their client",
            changes={"is_active": [True, False]},
        )
        _bump()
    return client


# --- Sites ----------------------------------------------------------------------------------


def _check_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise SiteDataError(
            f"{value!r} is not a known time zone (for example Asia/Kolkata).",
            code="unknown_timezone",
            details={"timezone": value},
        )


def _check_geometry(location: Any, geofence: Any) -> None:
    """A WGS 84 point inside the site's geofence, if it has one.

    Adapters parse GeoJSON with ``apps.core.geo.parse_geojson``; this guards every caller
    (admin, import, jobs). The location is where guards are sent and distances are
    measured from, so a geofence that leaves it outside is a mistake in one of the two.
    """
    if not isinstance(location, Point) or location.srid != 4326:
        raise SiteDataError(
            "A site location is a WGS 84 point.", code="invalid_geometry", details={"field": "location"}
        )
    if not -180 <= location.x <= 180:
        raise SiteDataError(
            f"Longitude {location.x} is outside -180..180.",
            code="longitude_out_of_range",
            details={"field": "location"},
        )
    if not -90 <= location.y <= 90:
        raise SiteDataError(
            f"Latitude {location.y} is outside -90..90.", code="latitude_out_of_range", details={"field": "location"}
        )
    if geofence is None:
        return
    if not isinstance(geofence, Polygon) or geofence.srid != 4326 or not geofence.valid:
        raise SiteDataError(
            "A site geofence is a valid WGS 84 polygon.", code="invalid_polygon", details={"field": "geofence"}
        )
    if not geofence.covers(location):
        raise SiteDataError(
            "The site's location is outside its geofence: move the point or redraw the fence.",
            code="location_outside_geofence",
            details={"field": "geofence"},
        )


def create_site(
    *,
    client_id: int,
    code: str,
    name: str,
    location: Point,
    geofence: Polygon | None = None,
    address: str = "",
    radius_m: int = 100,
    timezone: str = "UTC",
    in_charge_id: int | None = None,
    options: dict[str, Any] | None = None,
    is_active: bool = True,
    actor: Any = None,
) -> Site:
    """Create a site of a client the actor may see; its code is unique in the tenant."""
    with _atomic():
        client = _resolve(_clients(actor), client_id, "client")
        in_charge = _resolve(_people(), in_charge_id, "person")
        site = Site(
            client=client,
            code=code,
            name=name,
            address=address,
            location=location,
            geofence=geofence,
            radius_m=radius_m,
            timezone=timezone,
            in_charge=in_charge,
            options=options or {},
            is_active=is_active,
        )
        _check_timezone(timezone)
        _check_geometry(location, geofence)
        _check_unique(Site.objects.all(), None, code=code)
        _save(site)
        _bump()
    return site


def update_site(site: Site, *, actor: Any = None, **changes: Any) -> Site:
    """Change the given fields of ``site``; ``client_id`` and ``in_charge_id`` are checked like on create."""
    with _atomic():
        if changes.get("client_id", UNSET) is not UNSET:
            site.client = _resolve(_clients(actor), changes.pop("client_id"), "client")
        if "in_charge_id" in changes:
            site.in_charge = _resolve(_people(), changes.pop("in_charge_id"), "person")
        if changes.get("options") is None:
            changes.pop("options", None)
        _set(site, **changes)
        _check_timezone(site.timezone)
        _check_geometry(site.location, site.geofence)
        _check_unique(Site.objects.all(), site, code=site.code)
        _save(site)
        _bump()
    return site


def deactivate_site(site: Site, *, actor: Any = None) -> Site:
    """Deactivate a site. It is never deleted: jobs, attendance and reports refer to it."""
    with _atomic():
        site.is_active = False
        _save(site)
        _bump()
    return site


# --- Site groups ----------------------------------------------------------------------------


def _set_members(group: SiteGroup, site_ids: Sequence[int], actor: Any) -> None:
    """Replace the group's members by ``site_ids``, in that order."""
    if len(set(site_ids)) != len(site_ids):
        raise SiteDataError("A site appears twice in the group.", code="duplicate_member")
    sites = {site.pk: site for site in _sites(actor).filter(pk__in=list(site_ids))}
    missing = [pk for pk in site_ids if pk not in sites]
    if missing:
        raise SiteDataError(f"No site with id {missing[0]!r}.", code="unknown_site", details={"ids": missing})
    with changelog.quiet(SiteGroupMember):
        removed = SiteGroupMember.objects.filter(group=group).delete()[0]
    created = SiteGroupMember.objects.bulk_create(
        [SiteGroupMember(group=group, site=sites[pk], position=index) for index, pk in enumerate(site_ids)]
    )
    changelog.record_replaced(
        SiteGroupMember, removed=removed, created=[row.pk for row in created], related=group, what="members"
    )


def create_site_group(
    *, code: str, name: str, site_ids: Sequence[int] = (), is_active: bool = True, actor: Any = None
) -> SiteGroup:
    """Create a group of sites in the given order (an external tour's route)."""
    group = SiteGroup(code=code, name=name, is_active=is_active)
    with _atomic():
        _check_unique(SiteGroup.objects.all(), None, code=code)
        _save(group)
        _set_members(group, list(site_ids), actor)
        _bump()
    return group


def update_site_group(group: SiteGroup, *, actor: Any = None, site_ids: Any = UNSET, **changes: Any) -> SiteGroup:
    """Change fields; ``site_ids``, when given, replaces the members in that order."""
    with _atomic():
        _set(group, **changes)
        _check_unique(SiteGroup.objects.all(), group, code=group.code)
        _save(group)
        if site_ids is not UNSET:
            _set_members(group, list(site_ids), actor)
        _bump()
    return group


def deactivate_site_group(group: SiteGroup, *, actor: Any = None) -> SiteGroup:
    """Deactivate a group; schedules and past tours keep referring to it."""
    with _atomic():
        group.is_active = False
        _save(group)
        _bump()
    return group


# --- Shifts ---------------------------------------------------------------------------------


def _check_shift(shift: Shift) -> None:
    if shift.headcount is None or shift.headcount < 1:
        raise SiteDataError("A shift needs at least one person.", code="invalid_headcount")
    if shift.start_time == shift.end_time:
        raise SiteDataError("A shift cannot start and end at the same time.", code="empty_shift")


def _designation(pk: Any) -> Lookup | None:
    return _resolve(Lookup.objects.filter(kind=Lookup.Kind.DESIGNATION), pk, "designation")


def create_shift(
    *,
    site_id: int,
    name: str,
    start_time: time,
    end_time: time,
    headcount: int = 1,
    designation_id: int | None = None,
    is_active: bool = True,
    actor: Any = None,
) -> Shift:
    """Create a shift at a site; ``end_time`` at or before ``start_time`` means overnight."""
    with _atomic():
        shift = Shift(
            site=_resolve(_sites(actor), site_id, "site"),
            name=name,
            start_time=start_time,
            end_time=end_time,
            headcount=headcount,
            designation=_designation(designation_id),
            is_active=is_active,
        )
        _check_shift(shift)
        _check_unique(Shift.objects.all(), None, site_id=shift.site_id, name=name)
        _save(shift)
        _bump()
    return shift


def update_shift(shift: Shift, *, actor: Any = None, **changes: Any) -> Shift:
    with _atomic():
        if changes.get("site_id", UNSET) is not UNSET:
            shift.site = _resolve(_sites(actor), changes.pop("site_id"), "site")
        if "designation_id" in changes:
            shift.designation = _designation(changes.pop("designation_id"))
        _set(shift, **changes)
        _check_shift(shift)
        _check_unique(Shift.objects.all(), shift, site_id=shift.site_id, name=shift.name)
        _save(shift)
        _bump()
    return shift


def deactivate_shift(shift: Shift, *, actor: Any = None) -> Shift:
    """Deactivate a shift; attendance already matched to it keeps the reference."""
    with _atomic():
        shift.is_active = False
        _save(shift)
        _bump()
    return shift


# --- Locations (areas in a site) ------------------------------------------------------------


def _check_parent(location: Location) -> None:
    parent = location.parent
    if parent is None:
        return
    if parent.site_id != location.site_id:
        raise SiteDataError("The parent area is in another site.", code="parent_in_other_site")
    seen = {location.pk} if location.pk else set()
    while parent is not None:
        if parent.pk in seen:
            raise SiteDataError("An area cannot be inside itself.", code="parent_cycle")
        seen.add(parent.pk)
        parent = parent.parent


def create_location(
    *,
    site_id: int,
    code: str,
    name: str,
    parent_id: int | None = None,
    is_active: bool = True,
    actor: Any = None,
) -> Location:
    """Create an area in a site, optionally inside another area of the same site."""
    with _atomic():
        location = Location(
            site=_resolve(_sites(actor), site_id, "site"),
            parent=_resolve(Location.objects.all(), parent_id, "parent"),
            code=code,
            name=name,
            is_active=is_active,
        )
        _check_parent(location)
        _check_unique(Location.objects.all(), None, site_id=location.site_id, code=code)
        _save(location)
        _bump()
    return location


def update_location(location: Location, *, actor: Any = None, **changes: Any) -> Location:
    with _atomic():
        if changes.get("site_id", UNSET) is not UNSET:
            location.site = _resolve(_sites(actor), changes.pop("site_id"), "site")
        if "parent_id" in changes:
            location.parent = _resolve(Location.objects.all(), changes.pop("parent_id"), "parent")
        _set(location, **changes)
        _check_parent(location)
        _check_unique(Location.objects.all(), location, site_id=location.site_id, code=location.code)
        _save(location)
        _bump()
    return location


def deactivate_location(location: Location, *, actor: Any = None) -> Location:
    """Deactivate an area; assets and past work keep pointing at it."""
    with _atomic():
        location.is_active = False
        _save(location)
        _bump()
    return location


# --- Site assignments -----------------------------------------------------------------------


def create_site_assignment(
    *, person_id: int, site_id: int | None = None, site_group_id: int | None = None, actor: Any = None
) -> SiteAssignment:
    """Let a person work at a site or at the sites of a group (exactly one of the two)."""
    if (site_id is None) == (site_group_id is None):
        raise SiteDataError("Assign either a site or a site group.", code="assignment_target")
    with _atomic():
        assignment = SiteAssignment(
            person=_resolve(_people(), person_id, "person"),
            site=_resolve(_sites(actor), site_id, "site"),
            site_group=_resolve(_groups(actor), site_group_id, "site_group"),
        )
        target: dict[str, Any] = {"site_id": site_id} if site_id is not None else {"site_group_id": site_group_id}
        if SiteAssignment.objects.filter(person_id=person_id, **target).exists():
            raise SiteDataError("The person is already assigned there.", code="duplicate_assignment")
        _save(assignment)
        _bump()
    return assignment


def delete_site_assignment(assignment: SiteAssignment, *, actor: Any = None) -> None:
    """Remove an assignment (no history depends on it; work records name the site itself)."""
    with _atomic():
        assignment.delete()
        _bump()
