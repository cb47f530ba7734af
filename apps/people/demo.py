"""Demo people: the same five users in every demo tenant, password ``youtility-demo``."""

from __future__ import annotations

from collections.abc import Callable

from .capabilities import ADMIN, CLIENT_VIEWER, GUARD, SUPERVISOR
from .models import Person, RoleAssignment
from .services import ensure_seed_roles

DEMO_PASSWORD = "youtility-demo"
DEMO_USERS = [
    ("admin", "Alex Admin", ADMIN),
    ("supervisor", "Sam Supervisor", SUPERVISOR),
    ("guard1", "Gita Guard", GUARD),
    ("guard2", "Gus Guard", GUARD),
    ("client1", "Chris Client", CLIENT_VIEWER),
]


def load_tenant(tenant: object, say: Callable[[str], None]) -> None:
    roles = ensure_seed_roles()
    for login, name, role_code in DEMO_USERS:
        person, created = Person.objects.get_or_create(
            login=login, defaults={"name": name, "email": f"{login}@example.com"}
        )
        if created:
            person.set_password(DEMO_PASSWORD)
            person.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(person=person, role=roles[role_code])
    say(f"  people: {len(DEMO_USERS)} demo users ({', '.join(u[0] for u in DEMO_USERS)})")
