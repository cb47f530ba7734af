"""Benchmark: picker autocomplete on a large tenant, in-process, through the whole stack.

One tenant holds 100,000 people and 100,000 assets. ``GET /api/v1/people/autocomplete/``
and ``GET /api/v1/assets/autocomplete/`` are timed with a mix of 3-6 character queries
(accented or not, matching thousands of rows or a handful or none), as the tenant admin,
so every request pays for JWT authentication, the tenant context, row-level security,
the search and the Select2 rendering. The baseline is the primary-key lookup of the same
resources (``GET /api/v1/people/{id}/``, ``GET /api/v1/assets/{id}/``) in the same run,
so the ratio says what searching costs over fetching one row, whatever the machine.

The data is created once (services for the tenant, client, sites and admin; batched
``bulk_create`` inside the tenant context for the bulk rows, since COPY cannot pass
row-level security) and reused by later runs. Then the tables are analysed by their
owner, because ANALYZE by the runtime role is skipped by PostgreSQL.

Last line: ``autocomplete: p50 <ms> p95 <ms> (people+assets, <n> requests) ratio <r> vs pk``.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from apps.assets.models import Asset  # noqa: E402
from apps.core.tenancy import tenant_context  # noqa: E402
from apps.people.models import Person  # noqa: E402
from apps.people.services import create_person, ensure_seed_roles, obtain_tokens  # noqa: E402
from apps.sites.models import Site  # noqa: E402
from apps.sites.services import create_client, create_site  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services import create_tenant  # noqa: E402

SLUG = "bench-autocomplete"
PASSWORD = "bench-password-123"
ROWS = 100_000
BATCH = 5_000
LOOKUPS = int(os.environ.get("BENCH_REQUESTS", "300"))  # timed primary-key lookups per endpoint
# Timed autocomplete requests per endpoint: a multiple of the query mix, so each query
# weighs the same.
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "210"))
# ANALYZE needs the table owner; scripts/bench.sh migrates as this role.
OWNER_URL = os.environ.get("BENCH_OWNER_DATABASE_URL", "postgres://youtility@127.0.0.1:5432/youtility_bench")

FIRST_NAMES = [
    "José", "María", "Zoë", "Renée", "François", "Chloé", "Jürgen", "Søren", "Ana", "Björn",
    "Priya", "Rajesh", "Anjali", "Vikram", "Sunita", "Arjun", "Deepa", "Rahul", "Kavita", "Sanjay",
    "Oliver", "Amelia", "Jack", "Olivia", "Harry", "Emily", "George", "Isla", "Noah", "Sophie",
    "Mohammed", "Fatima", "Aisha", "Omar", "Wei", "Mei", "Hiroshi", "Yuki", "Kwame", "Amara",
]  # fmt: skip
LAST_NAMES = [
    "García", "Müller", "Muller", "Dubois", "Lefèvre", "Sánchez", "Østergaard", "Nuñez", "Çelik", "Łukasik",
    "Sharma", "Patel", "Iyer", "Nair", "Reddy", "Gupta", "Desai", "Kulkarni", "Menon", "Rao",
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Khan", "Ahmed", "Chen", "Wang", "Tanaka", "Sato", "Mensah", "Okafor", "Silva", "Costa",
]  # fmt: skip
# (code prefix, name) of the things a facility keeps on its books; some in French.
THINGS = [
    ("FE", "Fire extinguisher"), ("PMP", "Pompe à eau"), ("GEN", "Générateur diesel"), ("CHL", "Chiller"),
    ("CAM", "CCTV camera"), ("BB", "Boom barrier"), ("LFT", "Lift"), ("TRF", "Transformer"),
    ("AC", "Climatiseur"), ("SMK", "Détecteur de fumée"), ("WP", "Water pump"), ("DR", "Access door"),
    ("UPS", "UPS battery bank"), ("HYD", "Fire hydrant"),
]  # fmt: skip
PLACES = [
    "Block A", "Block B", "Tower 2 Floor 5", "Parking B2", "Gate 3", "Lobby", "Rooftop", "Loading bay",
    "Server room", "Cafeteria", "Basement", "East wing", "Entrée principale", "Quai de chargement",
]  # fmt: skip
CHECKPOINT_PLACES = ["Perimeter", "Fence", "Stairwell", "Fire exit", "Car park", "Dock", "Escalier", "Sortie"]

# 3-6 characters, as typed into a picker: broad, accented, narrow, and a typo matching nothing.
PEOPLE_QUERIES = ["jose", "müll", "shar", "zoë", "p0421", "42137", "qzx"]
ASSET_QUERIES = ["pomp", "génér", "chill", "fe-01", "door", "yt4f2", "qzx"]


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def people_rows(rng: random.Random) -> Iterator[Person]:
    for i in range(ROWS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = f"{ascii_fold(first)}.{ascii_fold(last)}.{i}"
        yield Person(
            login=login,
            name=f"{first} {last}",
            code=f"EMP{i:06d}",
            email=f"{login}@example.com" if i % 3 else "",
            mobile=f"+91 9{rng.randrange(10**8, 10**9)}",
            password="!",  # unusable: these people never sign in
            is_active=i % 40 != 0,
        )


def asset_rows(rng: random.Random, site_ids: list[int]) -> Iterator[Asset]:
    for i in range(ROWS):
        checkpoint = i % 5 < 2
        if checkpoint:
            prefix, name = "CP", f"Checkpoint {rng.choice(CHECKPOINT_PLACES)} {rng.randrange(1, 60)}"
        else:
            prefix, thing = rng.choice(THINGS)
            name = f"{thing} – {rng.choice(PLACES)}"
        yield Asset(
            site_id=site_ids[i % len(site_ids)],
            kind=Asset.Kind.CHECKPOINT if checkpoint else Asset.Kind.ASSET,
            code=f"{prefix}-{i:06d}",
            name=name,
            status=Asset.Status.SCRAPPED if i % 20 == 0 else Asset.Status.WORKING,
            tag=f"YT{rng.getrandbits(40):010x}" if checkpoint or i % 3 == 0 else "",
            is_active=i % 50 != 7,
        )


def insert(rows: Iterator[Any], model: type[Any], alias: str) -> None:
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        with transaction.atomic(using=alias):
            model.objects.bulk_create(batch, ignore_conflicts=True)


def analyse() -> str:
    try:
        with psycopg.connect(OWNER_URL, autocommit=True) as connection:
            connection.execute("ANALYZE people_person, assets_asset")
        return "analysed"
    except psycopg.Error as error:
        return f"not analysed ({type(error).__name__}: {str(error).strip().splitlines()[0]})"


def prepare() -> tuple[Tenant, Person, str]:
    """The tenant, its admin and its rows; creates only what is missing."""
    tenant = Tenant.objects.filter(slug=SLUG).first() or create_tenant(slug=SLUG, name="Bench autocomplete")
    started = time.perf_counter()
    with tenant_context(tenant):
        roles = ensure_seed_roles()
        admin = Person.objects.filter(login="admin").first() or create_person(
            login="admin", name="Bench Admin", password=PASSWORD, roles=[roles["admin"]]
        )
        site_ids = list(Site.objects.order_by("code").values_list("pk", flat=True))
        if not site_ids:
            client = create_client(code="BENCH", name="Bench Facilities")
            spots = [("PUNE", "Pune Campus", 73.8567, 18.5204), ("MUM", "Mumbai Tower", 72.8777, 19.0760)]
            spots.append(("LON", "London Depot", -0.1276, 51.5072))
            for code, name, lon, lat in spots:
                create_site(client_id=client.pk, code=code, name=name, location=Point(lon, lat, srid=4326))
            site_ids = list(Site.objects.order_by("code").values_list("pk", flat=True))
        created = []
        if Person.objects.filter(code__startswith="EMP").count() < ROWS:
            insert(people_rows(random.Random(1)), Person, tenant.db_alias)
            created.append("people")
        if Asset.objects.count() < ROWS:
            insert(asset_rows(random.Random(2), site_ids), Asset, tenant.db_alias)
            created.append("assets")
        people, assets = Person.objects.count(), Asset.objects.count()
    note = "already there"
    if created:
        note = f"created {' and '.join(created)} in {time.perf_counter() - started:.1f} s, {analyse()}"
    print(f"data: tenant {SLUG}, {people} people, {assets} assets ({note})")
    return tenant, admin, obtain_tokens(tenant_slug=SLUG, login="admin", password=PASSWORD).access


def explain(tenant: Tenant, admin: Person) -> str:
    """Whether the search runs on the trigram indexes.

    Under row-level security the search runs inside ``yt_search_ids`` as its owner, so
    the plan that matters is that function's query, planned as the owner role (through
    the schema owner's connection, which may assume that role).
    """
    found = []
    try:
        with psycopg.connect(OWNER_URL, autocommit=True) as connection:
            owner = connection.execute(
                "SELECT r.rolname, r.rolbypassrls FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
                "WHERE p.proname = 'yt_search_ids'"
            ).fetchone()
            if owner is None:
                return "index used: no (yt_search_ids is missing)"
            connection.execute(f"SET ROLE {owner[0]}")
            for table, fields, q in (
                ("people_person", ("login", "name", "code"), PEOPLE_QUERIES[1]),
                ("assets_asset", ("code", "name", "tag"), ASSET_QUERIES[1]),
            ):
                condition = " OR ".join(f"yt_unaccent(lower({field})) LIKE %s" for field in fields)
                rows = connection.execute(
                    f"EXPLAIN SELECT id FROM {table} WHERE tenant_id = %s AND ({condition}) LIMIT 1000",
                    [tenant.pk, *[f"%{q}%"] * len(fields)],
                ).fetchall()
                plan = "\n".join(row[0] for row in rows)
                found.append(("_trgm" in plan, f"{table}: {'trigram index' if '_trgm' in plan else 'scan'}"))
    except psycopg.Error as error:
        return f"index used: unknown ({type(error).__name__})"
    used = "yes" if all(ok for ok, _ in found) else "no"
    role = f"search function owned by {owner[0]}, bypasses RLS: {'yes' if owner[1] else 'no'}"
    return f"index used: {used} ({'; '.join(detail for _, detail in found)}; {role})"


def timed(client: Client, paths: list[str], headers: dict[str, str], count: int) -> list[float]:
    """``count`` timed requests cycling through ``paths``, after one untimed round of them."""
    for path in paths:
        assert client.get(path, headers=headers).status_code == 200, path
    samples = []
    for index in range(count):
        path = paths[index % len(paths)]
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


def line(label: str, samples: list[float], extra: str = "") -> str:
    return (
        f"{label}: p50 {statistics.median(samples):.3f} ms p95 {p95(samples):.3f} ms ({len(samples)} requests{extra})"
    )


def main() -> None:
    tenant, admin, access = prepare()
    with tenant_context(tenant):
        picked = random.Random(3)
        person_ids = picked.sample(list(Person.objects.filter(code__startswith="EMP").values_list("pk", flat=True)), 50)
        asset_ids = picked.sample(list(Asset.objects.values_list("pk", flat=True)), 50)
    print(explain(tenant, admin))
    client = Client()
    headers = {"Authorization": f"Bearer {access}"}
    pk: list[float] = []
    search_samples: list[float] = []
    for label, ids, queries in (
        ("people", person_ids, PEOPLE_QUERIES),
        ("assets", asset_ids, ASSET_QUERIES),
    ):
        lookups = timed(client, [f"/api/v1/{label}/{row}/" for row in ids], headers, LOOKUPS)
        paths = [f"/api/v1/{label}/autocomplete/?{urlencode({'q': q})}" for q in queries]
        searches = timed(client, paths, headers, SEARCHES)
        print(line(f"{label} pk lookup", lookups))
        print(line(f"{label} autocomplete", searches, f", {len(queries)} queries"))
        # Samples cycle through the queries, so every len(queries)-th one is the same query.
        medians = ", ".join(
            f"{q} {statistics.median(searches[index :: len(queries)]):.1f}" for index, q in enumerate(queries)
        )
        print(f"{label} autocomplete p50 ms by query: {medians}")
        pk += lookups
        search_samples += searches
    # The ratio compares tails: autocomplete p95 over primary-key lookup p95.
    print(
        f"autocomplete: p50 {statistics.median(search_samples):.3f} ms p95 {p95(search_samples):.3f} ms "
        f"(people+assets, {len(search_samples)} requests) ratio {p95(search_samples) / p95(pk):.2f} vs pk"
    )


if __name__ == "__main__":
    main()
