"""Operator commands: demo data (idempotent)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from apps.core.tenancy import system_context, tenant_context
from apps.people.models import Person, Role, RoleAssignment
from apps.people.services import obtain_tokens
from apps.tenants.models import Tenant


def test_load_demo_is_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    assert list(Tenant.objects.values_list("slug", flat=True)) == ["acme", "globex"]
    with system_context("test"):
        # Per tenant: the five named demo users and forty more guards in four teams.
        assert Person.objects.count() == 90
        assert RoleAssignment.objects.count() == 90
        assert Role.objects.count() == 8
        # The demo's password is public: it must never open the platform's side of the admin.
        assert not Person.objects.filter(is_superuser=True).exists()
    for slug in ("acme", "globex"):
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            named = Person.objects.exclude(login__startswith="guard0").prefetch_related("roles")
            assert {p.login: p.role_codes() for p in named} == {
                "admin": ["admin"],
                "client1": ["client_viewer"],
                "guard1": ["guard"],
                "guard2": ["guard"],
                "supervisor": ["supervisor"],
            }
        pair = obtain_tokens(tenant_slug=slug, login="guard1", password="youtility-demo")
        assert pair.claims.roles == ["guard"]
