"""Operator commands: demo data (idempotent) and onboarding a tenant."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

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


def test_create_tenant(db, monkeypatch):
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "a-long-secret-1")
    out = StringIO()
    call_command(
        "create_tenant", "initech", "Initech Guarding", "--admin-password-env", "FIRST_ADMIN_PASSWORD", stdout=out
    )
    assert out.getvalue().strip() == "Tenant initech created with administrator admin."
    pair = obtain_tokens(tenant_slug="initech", login="admin", password="a-long-secret-1")
    assert pair.claims.roles == ["admin"]
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_tenant", "initech", "Again", "--admin-password-env", "FIRST_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="Use 3-50 lowercase letters"):
        call_command("create_tenant", "Bad Slug", "X", "--admin-password-env", "FIRST_ADMIN_PASSWORD")
    assert not Tenant.objects.filter(name="X").exists()
    monkeypatch.setenv("WEAK_PASSWORD", "12345678")
    with pytest.raises(CommandError, match=r"Password refused: This password is too common\."):
        call_command("create_tenant", "weak", "Weak", "--admin-password-env", "WEAK_PASSWORD")
    assert not Tenant.objects.filter(slug="weak").exists()
    with pytest.raises(CommandError, match="is empty or unset"):
        call_command("create_tenant", "other", "Other", "--admin-password-env", "NOT_SET_ANYWHERE")
