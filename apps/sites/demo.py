"""Demo clients and sites: two clients per tenant, six sites at real places with
geofences, three shifts per site (one overnight), areas, a route per client.

The named demo people are placed at these sites by ``apps.people.demo`` (a later step):
the people app builds on this one, so this one does not touch people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from django.contrib.gis.geos import Point, Polygon

from .models import Client, Location, Shift, Site, SiteGroup, SiteGroupMember

# (client code, client name, [(site code, site name, lon, lat)])
DEMO_SITES: dict[str, list[tuple[str, str, list[tuple[str, str, float, float]]]]] = {
    "acme": [
        (
            "HARBOR",
            "Harbor Logistics",
            [
                ("HBR-JNPT", "Nhava Sheva Container Terminal", 72.9506, 18.9498),
                ("HBR-BHW", "Bhiwandi Warehouse", 73.0583, 19.2813),
                ("HBR-CHK", "Chakan Depot", 73.8567, 18.7606),
            ],
        ),
        (
            "CRESCENT",
            "Crescent Malls",
            [
                ("CRM-AND", "Crescent Mall Andheri", 72.8347, 19.1197),
                ("CRM-AND-P", "Crescent Mall Andheri Parking", 72.8362, 19.1182),
                ("CRM-PNQ", "Crescent Mall Viman Nagar", 73.9120, 18.5620),
            ],
        ),
    ],
    "globex": [
        (
            "NORTHWIND",
            "Northwind Offices",
            [
                ("NW-CWF", "Canary Wharf Tower", -0.0195, 51.5049),
                ("NW-KGX", "King's Cross Office", -0.1240, 51.5340),
                ("NW-SDT", "Shoreditch Studio", -0.0780, 51.5260),
            ],
        ),
        (
            "RIVERSIDE",
            "Riverside Hospital Trust",
            [
                ("RS-MAIN", "Riverside Hospital", -0.1180, 51.4980),
                ("RS-ANX", "Riverside Annex", -0.1150, 51.4968),
                ("RS-BAT", "Battersea Clinic", -0.1470, 51.4790),
            ],
        ),
    ],
}
SHIFTS = [("Morning", time(6), time(14), 2), ("Evening", time(14), time(22), 2), ("Night", time(22), time(6), 1)]
HALF_SIDE = 0.0012  # degrees: a geofence of roughly 250 m x 250 m around the site


def _square(lon: float, lat: float) -> Polygon:
    d = HALF_SIDE
    ring = [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d), (lon - d, lat - d)]
    return Polygon(ring, srid=4326)


def demo_places(tenant: Any) -> tuple[Client | None, SiteGroup | None, list[Site]]:
    """The first demo client of ``tenant``, its route, and every demo site in the order
    loaded (nothing before ``load_sites`` ran)."""
    rows = DEMO_SITES.get(tenant.slug, DEMO_SITES["acme"])
    codes = [code for _, _, site_rows in rows for code, *_ in site_rows]
    by_code = {site.code: site for site in Site.objects.filter(code__in=codes)}
    client_code = rows[0][0]
    return (
        Client.objects.filter(code=client_code).first(),
        SiteGroup.objects.filter(code=f"{client_code}-ROUTE").first(),
        [by_code[code] for code in codes if code in by_code],
    )


def load_sites(tenant: Any, say: Callable[[str], None]) -> None:
    sites: list[Site] = []
    for client_code, client_name, site_rows in DEMO_SITES.get(tenant.slug, DEMO_SITES["acme"]):
        client, _ = Client.objects.update_or_create(
            code=client_code, defaults={"name": client_name, "contract_start": date(2026, 1, 1)}
        )
        group, _ = SiteGroup.objects.update_or_create(
            code=f"{client_code}-ROUTE", defaults={"name": f"{client_name} patrol route"}
        )
        for position, (code, name, lon, lat) in enumerate(site_rows):
            site, _ = Site.objects.update_or_create(
                code=code,
                defaults={
                    "client": client,
                    "name": name,
                    "location": Point(lon, lat, srid=4326),
                    "geofence": _square(lon, lat),
                    "radius_m": 150,
                    "timezone": tenant.timezone,
                },
            )
            sites.append(site)
            SiteGroupMember.objects.update_or_create(group=group, site=site, defaults={"position": position})
            for shift_name, start, end, headcount in SHIFTS:
                Shift.objects.update_or_create(
                    site=site, name=shift_name, defaults={"start_time": start, "end_time": end, "headcount": headcount}
                )
            Location.objects.update_or_create(site=site, code="GATE", defaults={"name": "Main gate"})
            building, _ = Location.objects.update_or_create(site=site, code="BLDG", defaults={"name": "Main building"})
            Location.objects.update_or_create(
                site=site, code="BLDG-L1", defaults={"name": "Level 1", "parent": building}
            )
    say(f"  sites: 2 clients, {len(sites)} sites with geofences, {len(sites) * len(SHIFTS)} shifts")


DEMO_STEPS = [(20, load_sites)]
