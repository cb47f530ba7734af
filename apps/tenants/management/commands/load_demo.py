"""``manage.py load_demo``: the demo tenants ``acme`` and ``globex`` and their data.

Idempotent: running it again updates instead of duplicating. Each app adds its own demo
data in ``apps/<app>/demo.py``, either as ``load_tenant(tenant, say)`` or, when its steps
must interleave with other apps' (people need sites, sites need people), as
``DEMO_STEPS = [(order, function), ...]``. Steps run by order (``load_tenant`` counts as
50, ties in ``INSTALLED_APPS`` order), each tenant in one transaction, inside that
tenant's context.

The command belongs to the tenants app because it creates the demo tenants; it finds the
other apps' demo modules through the app registry, as ``apps.core.importing`` finds their
importers, so the tenants app imports none of the apps that build on it.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core.tenancy import tenant_context
from apps.tenants.models import Tenant
from apps.tenants.services import create_tenant

DEMO_TENANTS = [
    ("acme", "Acme Security Services", "Asia/Kolkata"),
    ("globex", "Globex Facility Management", "Europe/London"),
]


def demo_loaders() -> list[Any]:
    steps: list[tuple[int, int, Any]] = []
    for position, config in enumerate(apps.get_app_configs()):
        name = f"{config.name}.demo"
        if config.name.startswith("apps.") and find_spec(name) is not None:
            module = import_module(name)
            for order, function in getattr(module, "DEMO_STEPS", []):
                steps.append((order, position, function))
            if hasattr(module, "load_tenant"):
                steps.append((50, position, module.load_tenant))
    return [function for _, _, function in sorted(steps, key=lambda step: step[:2])]


class Command(BaseCommand):
    help = "Create or update the demo tenants (acme, globex) with their demo data."

    def handle(self, *args: Any, **options: Any) -> None:
        for slug, name, tz in DEMO_TENANTS:
            tenant = Tenant.objects.filter(slug=slug).first() or create_tenant(slug=slug, name=name, timezone=tz)
            self.stdout.write(f"tenant {slug}:")
            with tenant_context(tenant), transaction.atomic(using=tenant.db_alias):
                for load in demo_loaders():
                    load(tenant, self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
