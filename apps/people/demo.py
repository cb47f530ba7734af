"""Demo people: the same five users in every demo tenant, password ``youtility-demo``."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.hashers import make_password

from apps.sites.demo import demo_places
from apps.sites.models import Site, SiteAssignment
from apps.tenants.models import Lookup

from .capabilities import ADMIN, CLIENT_VIEWER, GUARD, SUPERVISOR
from .models import Person, RoleAssignment, Team, TeamMembership
from .services import ensure_seed_roles

DEMO_PASSWORD = "youtility-demo"
DEMO_USERS = [
    ("admin", "Alex Admin", ADMIN),
    ("supervisor", "Sam Supervisor", SUPERVISOR),
    ("guard1", "Gita Guard", GUARD),
    ("guard2", "Gus Guard", GUARD),
    ("client1", "Chris Client", CLIENT_VIEWER),
]


def load_users(tenant: object, say: Callable[[str], None]) -> None:
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


def place_users(tenant: object, say: Callable[[str], None]) -> None:
    """Place the named demo people at the demo sites (loaded by the step before): the
    supervisor is in charge of every site and works the first client's route, the
    supervisor and guards are based at its first site, the client user belongs to it."""
    client, route, sites = demo_places(tenant)
    people = {p.login: p for p in Person.objects.filter(login__in=["supervisor", "guard1", "guard2", "client1"])}
    supervisor = people.get("supervisor")
    for site in sites:
        if site.in_charge_id != getattr(supervisor, "pk", None):
            site.in_charge = supervisor
            site.save(update_fields=["in_charge", "modified_at", "modified_by"])
    if supervisor is not None and route is not None:
        SiteAssignment.objects.get_or_create(person=supervisor, site_group=route)
    for login in ("supervisor", "guard1", "guard2"):
        if login in people and sites:
            Person.objects.filter(pk=people[login].pk).update(home_site=sites[0])
    if "client1" in people and client is not None:
        Person.objects.filter(pk=people["client1"].pk).update(client=client)


WORKFORCE_SIZE = 40
TEAM_NAMES = ["Alpha", "Bravo", "Charlie", "Delta"]


def load_workforce(tenant: object, say: Callable[[str], None]) -> None:
    """Forty guards (guard001 ... guard040) in four teams, based across the demo sites."""
    roles = ensure_seed_roles()
    sites = list(Site.objects.order_by("code"))
    designation = Lookup.objects.filter(kind=Lookup.Kind.DESIGNATION, code="GUARD").first()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: forty argon2 hashes would slow every run
    existing = set(Person.objects.filter(login__startswith="guard0").values_list("login", flat=True))
    teams = [
        Team.objects.update_or_create(code=f"TEAM-{name.upper()}", defaults={"name": f"Team {name}"})[0]
        for name in TEAM_NAMES
    ]
    for n in range(1, WORKFORCE_SIZE + 1):
        login = f"guard{n:03d}"
        if login not in existing:
            person = Person.objects.create(
                login=login,
                name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n % len(LAST_NAMES)]}",
                code=f"EMP{n:04d}",
                password=password_hash,
                home_site=sites[n % len(sites)] if sites else None,
                designation=designation,
            )
            RoleAssignment.objects.create(person=person, role=roles[GUARD])
        else:
            person = Person.objects.get(login=login)
        team = teams[(n - 1) // (WORKFORCE_SIZE // len(teams))]
        TeamMembership.objects.update_or_create(
            team=team, person=person, defaults={"is_lead": (n - 1) % (WORKFORCE_SIZE // len(teams)) == 0}
        )
    say(f"  people: {WORKFORCE_SIZE} more guards in {len(teams)} teams")


FIRST_NAMES = ["Asha", "Ravi", "Meera", "Tom", "Olu", "Lena", "Karan", "Priya", "Sam", "Noor", "José", "Zoë"]
LAST_NAMES = ["Patil", "Khan", "Smith", "Okafor", "Novak", "Iyer", "Brown", "Mehta", "García", "Ali"]

DEMO_STEPS = [(10, load_users), (25, place_users), (30, load_workforce)]
