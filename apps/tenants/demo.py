"""Demo code lists of every tenant."""

from __future__ import annotations

from collections.abc import Callable

from .models import Lookup

K = Lookup.Kind
LOOKUPS = [
    (K.DEPARTMENT, "OPS", "Operations"),
    (K.DEPARTMENT, "MAINT", "Maintenance"),
    (K.DESIGNATION, "GUARD", "Security guard"),
    (K.DESIGNATION, "SUPERVISOR", "Site supervisor"),
    (K.DESIGNATION, "TECH", "Technician"),
    (K.ASSET_CLASS, "HVAC", "HVAC"),
    (K.ASSET_CLASS, "FIRE", "Fire safety"),
    (K.ASSET_CLASS, "ELEC", "Electrical"),
    (K.ASSET_CLASS, "PUMP", "Pumps"),
    (K.TICKET_CATEGORY, "SECURITY", "Security"),
    (K.TICKET_CATEGORY, "MAINTENANCE", "Maintenance"),
    (K.EVENT_TYPE, "PATROL", "Patrol"),
]


def load_lookups(tenant: object, say: Callable[[str], None]) -> None:
    for position, (kind, code, name) in enumerate(LOOKUPS):
        Lookup.objects.update_or_create(kind=kind, code=code, defaults={"name": name, "position": position})
    say(f"  lookups: {len(LOOKUPS)}")


DEMO_STEPS = [(15, load_lookups)]
