"""A tenant placed in a dedicated database: its rows live there and only there."""

from __future__ import annotations

import pytest
from django.db import connections

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from conftest import make_persona, make_tenant

pytestmark = pytest.mark.django_db(databases=["default", "dedicated"])


def _raw_logins(alias: str, tenant_id: int) -> list[str]:
    with tenant_context_for(alias, tenant_id), connections[alias].cursor() as cursor:
        cursor.execute("SELECT login FROM people_person ORDER BY login")
        return [row[0] for row in cursor.fetchall()]


def tenant_context_for(alias: str, tenant_id: int):  # type: ignore[no-untyped-def]
    from apps.core.tenancy import TenantContext

    return tenant_context(TenantContext(id=tenant_id, slug="x", db_alias=alias))


def test_dedicated_tenant_rows_live_in_its_database(api):
    shared = make_tenant("shared")
    dedicated = make_tenant("isolated", db_alias="dedicated")
    make_persona(shared, "admin")
    persona = make_persona(dedicated, "admin")

    with tenant_context(dedicated):
        assert list(Person.objects.values_list("login", flat=True)) == ["admin"]
        assert Person.objects.get().pk == persona.person.pk
    assert _raw_logins("dedicated", dedicated.pk) == ["admin"]
    assert _raw_logins("default", dedicated.pk) == []
    assert _raw_logins("default", shared.pk) == ["admin"]
    assert _raw_logins("dedicated", shared.pk) == []

    # The tenant row itself is mirrored, as the foreign-key target of its rows.
    with connections["dedicated"].cursor() as cursor:
        cursor.execute("SELECT slug, db_alias FROM tenants_tenant WHERE id = %s", [dedicated.pk])
        assert cursor.fetchone() == ("isolated", "dedicated")

    # End to end through the API: sign in, then /me/ reads from the dedicated database.
    response = api.post(
        "/api/v1/auth/token/", {"tenant": "isolated", "login": "admin", "password": persona.password}, format="json"
    )
    assert response.status_code == 200, response.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api.get("/api/v1/me/").json()
    assert (me["tenant"], me["login"], me["id"]) == ("isolated", "admin", persona.person.pk)


def test_admin_action_log_stays_with_the_tenant():
    """The admin's action log names people by id, and ids repeat across databases."""
    from django.test import Client

    alpha = make_tenant("alpha")
    xray = make_tenant("xray", db_alias="dedicated")
    alpha_admin = make_persona(alpha, "admin")
    xray_admin = make_persona(xray, "admin")
    xray_guard = make_persona(xray, "guard")

    def signed_in(persona):  # type: ignore[no-untyped-def]
        client = Client()
        response = client.post(
            "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
        )
        assert response.status_code == 302
        return client

    edit = signed_in(xray_admin).post(
        f"/admin/people/person/{xray_guard.person.pk}/change/",
        {"login": "guard", "name": "Secret Xray Guard", "email": "", "is_active": "on", "bound_device_id": ""},
    )
    assert edit.status_code == 302
    assert b"Secret Xray Guard" in signed_in(xray_admin).get("/admin/").content
    assert b"Secret Xray Guard" not in signed_in(alpha_admin).get("/admin/").content
    # Written beside the person it names, never in the shared database where that id
    # may belong to someone of another tenant.
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.using("dedicated").filter(object_repr__contains="Secret Xray").count() == 1
    assert LogEntry.objects.using("default").filter(object_repr__contains="Secret Xray").count() == 0
