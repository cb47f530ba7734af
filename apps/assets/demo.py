"""Demo checkpoints and assets: twenty tagged checkpoints per site (120), forty assets."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib.gis.geos import Point

from apps.sites.models import Location, Site
from apps.tenants.models import Lookup

from .models import Asset

CHECKPOINTS_PER_SITE = 20
ASSETS = [
    ("HVAC", "Chiller", {"unit": "kWh", "min": 0, "max": 999999}),
    ("HVAC", "Air handling unit", {}),
    ("FIRE", "Fire pump", {"unit": "bar", "min": 6, "max": 12}),
    ("FIRE", "Sprinkler valve", {}),
    ("FIRE", "Fire alarm panel", {}),
    ("ELEC", "Diesel generator", {"unit": "h", "min": 0, "max": 50000}),
    ("ELEC", "Main switchboard", {"unit": "kWh", "min": 0, "max": 9999999}),
    ("PUMP", "Water pump", {}),
]
ASSET_COUNT = 40


def _near(site: Site, index: int, count: int, radius_deg: float = 0.0008) -> Point:
    angle = 2 * math.pi * index / count
    return Point(
        site.location.x + radius_deg * math.cos(angle), site.location.y + radius_deg * math.sin(angle), srid=4326
    )


def load_assets(tenant: Any, say: Callable[[str], None]) -> None:
    sites = list(Site.objects.order_by("code"))
    if not sites:
        return
    classes = {lookup.code: lookup for lookup in Lookup.objects.filter(kind=Lookup.Kind.ASSET_CLASS)}
    areas = {(area.site_id, area.code): area for area in Location.objects.all()}
    prefix = tenant.slug.upper()
    for site in sites:
        for n in range(1, CHECKPOINTS_PER_SITE + 1):
            Asset.objects.update_or_create(
                code=f"{site.code}-CP{n:02d}",
                defaults={
                    "site": site,
                    "kind": Asset.Kind.CHECKPOINT,
                    "name": f"{site.name} checkpoint {n}",
                    "tag": f"{prefix}-{site.code}-CP{n:02d}",
                    "location": _near(site, n, CHECKPOINTS_PER_SITE),
                    "area": areas.get((site.pk, "GATE" if n <= 2 else "BLDG")),
                },
            )
    for n in range(ASSET_COUNT):
        site = sites[n % len(sites)]
        class_code, name, meter = ASSETS[n % len(ASSETS)]
        Asset.objects.update_or_create(
            code=f"{site.code}-AS{n + 1:02d}",
            defaults={
                "site": site,
                "kind": Asset.Kind.ASSET,
                "name": f"{name} {n // len(sites) + 1}",
                "asset_class": classes.get(class_code),
                "tag": f"{prefix}-AS{n + 1:03d}",
                "meter": meter,
                "status": Asset.Status.SCRAPPED if n == ASSET_COUNT - 1 else Asset.Status.WORKING,
                "location": _near(site, n, ASSET_COUNT, radius_deg=0.0003),
                "area": areas.get((site.pk, "BLDG")),
            },
        )
    say(f"  assets: {len(sites) * CHECKPOINTS_PER_SITE} checkpoints, {ASSET_COUNT} assets")


DEMO_STEPS = [(40, load_assets)]
