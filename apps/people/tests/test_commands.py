"""Onboarding a tenant with its first administrator: ``manage.py create_tenant``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.people.services import obtain_tokens
from apps.tenants.models import Tenant


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
