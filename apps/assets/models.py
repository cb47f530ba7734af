"""Assets (equipment maintained on a schedule) and checkpoints (tags a guard scans on a tour)."""

from __future__ import annotations

from django.contrib.gis.db import models as gis
from django.db import models
from django.db.models import Q

from apps.core.models import TenantModel
from apps.core.search import search_index
from apps.core.validators import code_validator


class Asset(TenantModel):
    """One row for both kinds: an asset and a checkpoint share site, area, tag and position.

    A scrapped asset is never deleted: past jobs and reports refer to it. ``tag`` is the
    QR/NFC payload printed or written on it, unique in the tenant.
    """

    class Kind(models.TextChoices):
        ASSET = "ASSET", "Asset"
        CHECKPOINT = "CHECKPOINT", "Checkpoint"

    class Status(models.TextChoices):
        WORKING = "WORKING", "Working"
        STANDBY = "STANDBY", "Standby"
        MAINTENANCE = "MAINTENANCE", "Under maintenance"
        SCRAPPED = "SCRAPPED", "Scrapped"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="assets")
    area = models.ForeignKey("sites.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="assets")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ASSET)
    code = models.CharField(max_length=50, validators=[code_validator])
    name = models.CharField(max_length=200)
    asset_class = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WORKING)
    location = gis.PointField(srid=4326, geography=True, null=True, blank=True)
    tag = models.CharField(max_length=128, blank=True, help_text="QR/NFC payload, unique in the tenant.")
    meter = models.JSONField(
        default=dict, blank=True, help_text='Meter attributes, e.g. {"unit": "kWh", "min": 0, "max": 99999}.'
    )
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="assets_asset_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "tag"], condition=~Q(tag=""), name="assets_asset_tenant_tag"),
        ]
        indexes = [
            models.Index(fields=["tenant", "site", "kind"], name="assets_asset_site_kind"),
            # Pickers (autocomplete) search code, name and tag by any part, any case or accent.
            search_index("code", "assets_asset_code_trgm"),
            search_index("name", "assets_asset_name_trgm"),
            search_index("tag", "assets_asset_tag_trgm"),
        ]
        ordering = ["site", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
