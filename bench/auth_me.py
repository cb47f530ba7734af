"""Benchmark: an authenticated API request through the whole stack, in-process.

``GET /api/v1/me/`` pays for JWT verification, the revocation lookup in Redis, the
tenant and person queries under row-level security, and rendering. The baseline is
``GET /healthz`` through the same middleware in the same run, so the ratio says what
authentication and tenancy add to a request, whatever the machine's speed today.

Last line: ``auth_me: p50 <ms> p95 <ms> (<n> requests) ratio <r> vs healthz``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from apps.core.tenancy import tenant_context  # noqa: E402
from apps.people.models import Person  # noqa: E402
from apps.people.services import create_person, ensure_seed_roles, obtain_tokens  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services import create_tenant  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
WARMUP = 200
PASSWORD = "bench-password-123"


def prepare() -> str:
    tenant = Tenant.objects.filter(slug="bench").first() or create_tenant(slug="bench", name="Bench")
    with tenant_context(tenant):
        roles = ensure_seed_roles()
        if not Person.objects.filter(login="bench").exists():
            create_person(login="bench", name="Bench", password=PASSWORD, roles=[roles["supervisor"]])
    return obtain_tokens(tenant_slug="bench", login="bench", password=PASSWORD).access


def measure(client: Client, path: str, headers: dict[str, str] | None = None) -> list[float]:
    for _ in range(WARMUP):
        assert client.get(path, headers=headers).status_code == 200
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


def main() -> None:
    access = prepare()
    client = Client()
    baseline = measure(client, "/healthz")
    me = measure(client, "/api/v1/me/", {"Authorization": f"Bearer {access}"})
    base_p50, me_p50 = statistics.median(baseline), statistics.median(me)
    print(f"healthz: p50 {base_p50:.3f} ms p95 {p95(baseline):.3f} ms ({REQUESTS} requests)")
    print(
        f"auth_me: p50 {me_p50:.3f} ms p95 {p95(me):.3f} ms ({REQUESTS} requests) "
        f"ratio {me_p50 / base_p50:.2f} vs healthz"
    )


if __name__ == "__main__":
    main()
