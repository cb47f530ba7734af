"""Clients (the tenant's customers), their sites, site groups, shifts and areas."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.db import models
from django.db.models import Q

from apps.core.models import TenantModel
from apps.core.search import search_index
from apps.core.validators import code_validator, validate_timezone


class Client(TenantModel):
    """A customer of the tenant; sees only its own sites in the client portal and reports."""

    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    contract_start = models.DateField(null=True, blank=True)
    contract_end = models.DateField(null=True, blank=True)
    preferences = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="sites_client_tenant_code"),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_start__isnull=True)
                | Q(contract_end__gte=models.F("contract_start")),
                name="sites_client_contract_order",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(TenantModel):
    """A place of a client where work happens.

    ``location`` is a geography point (distances in metres, GiST-indexed);
    ``geofence`` an optional polygon that attendance and scans are checked against, with
    ``radius_m`` around ``location`` as the fallback.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    location = gis.PointField(srid=4326, geography=True)
    geofence = gis.PolygonField(srid=4326, null=True, blank=True)
    radius_m = models.PositiveIntegerField(default=100, help_text="Permitted distance from the location, in metres.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites_in_charge"
    )
    options = models.JSONField(
        default=dict, blank=True, help_text="Site rules, e.g. whether a failed geofence check blocks a punch."
    )
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="sites_site_tenant_code"),
        ]
        # Pickers search code and name by any part, ignoring case and accents.
        indexes = [search_index("code", "sites_site_code_trgm"), search_index("name", "sites_site_name_trgm")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SiteGroup(TenantModel):
    """A named, ordered set of sites: an external tour's route, or sites assigned to people."""

    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    sites: models.ManyToManyField[Site, SiteGroupMember] = models.ManyToManyField(
        Site, through="SiteGroupMember", related_name="groups", blank=True
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="sites_sitegroup_tenant_code"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SiteGroupMember(TenantModel):
    changelog_related = ("group",)

    group = models.ForeignKey(SiteGroup, on_delete=models.CASCADE, related_name="members")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="group_memberships")
    position = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "group", "site"], name="sites_sitegroupmember_unique"),
        ]
        ordering = ["group", "position"]


class Shift(TenantModel):
    """A shift at a site. ``end_time`` at or before ``start_time`` means it ends the next day."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="shifts")
    name = models.CharField(max_length=100)
    start_time = models.TimeField()
    end_time = models.TimeField()
    headcount = models.PositiveIntegerField(default=1)
    designation = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "site", "name"], name="sites_shift_tenant_site_name"),
        ]
        ordering = ["site", "start_time"]

    @property
    def overnight(self) -> bool:
        return self.end_time <= self.start_time

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Location(TenantModel):
    """A named area within a site (building, floor, zone)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="locations")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "site", "code"], name="sites_location_tenant_site_code"),
        ]
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return self.name


class SiteAssignment(TenantModel):
    """A site, or a group of sites, a person may work at (besides their home site)."""

    changelog_related = ("person",)

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_assignments")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    site_group = models.ForeignKey(
        SiteGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=(Q(site__isnull=False) & Q(site_group__isnull=True))
                | (Q(site__isnull=True) & Q(site_group__isnull=False)),
                name="sites_siteassignment_one_target",
            ),
            models.UniqueConstraint(
                fields=["tenant", "person", "site"], condition=Q(site__isnull=False), name="sites_siteassignment_site"
            ),
            models.UniqueConstraint(
                fields=["tenant", "person", "site_group"],
                condition=Q(site_group__isnull=False),
                name="sites_siteassignment_group",
            ),
        ]
