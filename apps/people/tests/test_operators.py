"""Platform operators: made by ``manage.py create_operator``, holding no tenant capability,
and ``is_superuser`` meaning nothing outside the platform tenant."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.core.errors import AuthenticationFailed, DomainError
from apps.core.tenancy import tenant_context
from apps.people.models import Person, Role
from apps.people.operators import create_operator
from apps.people.services import ensure_seed_roles, obtain_tokens, refresh_tokens
from apps.tenants.models import Tenant

pytestmark = pytest.mark.django_db

PERMISSION_DENIED = {
    "error": {"code": "permission_denied", "message": "You do not have permission to do this.", "details": {}}
}


def operator_command(login: str, *options: str) -> str:
    out = StringIO()
    call_command("create_operator", login, *options, stdout=out)
    return out.getvalue().strip()


def refusal(command: str, *args: str) -> str:
    """The message of the ``CommandError`` that ``command`` ends with."""
    with pytest.raises(CommandError) as refused:
        call_command(command, *args, stdout=StringIO())
    return str(refused.value)


def test_create_operator_makes_the_platform_tenant_and_an_operator(monkeypatch: Any) -> None:
    monkeypatch.setenv("OPERATOR_PASSWORD", "a-long-operator-secret")
    said = operator_command("ops", "--email", "ops@example.com", "--password-env", "OPERATOR_PASSWORD")
    assert said == "Operator ops created; sign in with company platform at /admin/."

    tenant = Tenant.objects.get(slug="platform")
    assert (tenant.name, tenant.is_active) == ("Platform operators", True)
    with tenant_context(tenant):
        assert Role.objects.count() == 0
        person = Person.objects.get()
        assert (person.is_platform_operator, person.is_staff, person.role_codes()) == (True, True, [])
    assert (person.login, person.name, person.email, person.is_superuser) == ("ops", "ops", "ops@example.com", True)
    assert obtain_tokens(tenant_slug="platform", login="ops", password="a-long-operator-secret").claims.roles == []


def test_running_it_again_promotes_with_a_new_password_and_ends_the_old_sessions(monkeypatch: Any) -> None:
    first = create_operator(login="ops", password="a-long-operator-secret")
    old = obtain_tokens(tenant_slug="platform", login="ops", password="a-long-operator-secret")
    with tenant_context(first.tenant):
        Person.objects.filter(pk=first.person.pk).update(is_active=False, name="Old name")
    first.tenant.is_active = False
    first.tenant.save()  # switched off by mistake in the admin: the command is the way back in

    monkeypatch.setenv("NEW_PASSWORD", "another-long-secret")
    said = operator_command("ops", "--name", "Olu Operator", "--password-env", "NEW_PASSWORD")
    assert said == "Operator ops promoted; sign in with company platform at /admin/."

    assert Tenant.objects.get(slug="platform").is_active is True
    with tenant_context(first.tenant):
        person = Person.objects.get()
    assert (person.pk, person.name, person.is_active, person.is_superuser) == (
        first.person.pk,
        "Olu Operator",
        True,
        True,
    )
    with pytest.raises(AuthenticationFailed):
        obtain_tokens(tenant_slug="platform", login="ops", password="a-long-operator-secret")
    with pytest.raises(AuthenticationFailed):
        refresh_tokens(refresh=old.refresh)
    assert obtain_tokens(tenant_slug="platform", login="ops", password="another-long-secret").claims.roles == []


def test_weak_passwords_are_refused_and_nothing_is_created(monkeypatch: Any) -> None:
    monkeypatch.setenv("WEAK_PASSWORD", "12345678")
    assert refusal("create_operator", "ops", "--password-env", "WEAK_PASSWORD") == (
        "The password is not strong enough. This password is too common. This password is entirely numeric."
    )
    assert not Tenant.objects.filter(slug="platform").exists()
    assert refusal("create_operator", "ops", "--password-env", "NOT_SET_ANYWHERE") == (
        "The environment variable NOT_SET_ANYWHERE is empty or unset."
    )
    assert not Tenant.objects.filter(slug="platform").exists()


def test_the_password_is_never_an_argument_and_the_prompt_asks_twice(monkeypatch: Any) -> None:
    # Not even as an abbreviation of --password-env, which would echo it back as a variable name.
    assert refusal("create_operator", "ops", "--password", "a-long-operator-secret") == (
        "Error: unrecognized arguments: --password a-long-operator-secret"
    )
    assert refusal("create_tenant", "initech", "Initech", "--admin-password", "a-long-operator-secret") == (
        "Error: unrecognized arguments: --admin-password a-long-operator-secret"
    )
    answers = iter(["a-long-operator-secret", "a-long-operator-secrex"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert refusal("create_operator", "ops") == "The passwords do not match."
    assert not Tenant.objects.filter(slug="platform").exists()

    answers = iter(["a-long-operator-secret", "a-long-operator-secret"])
    assert operator_command("ops") == "Operator ops created; sign in with company platform at /admin/."


def test_the_platform_slug_is_reserved_for_operators(monkeypatch: Any) -> None:
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "a-long-secret-1")
    assert refusal("create_tenant", "platform", "Platform", "--admin-password-env", "FIRST_ADMIN_PASSWORD") == (
        "The slug 'platform' is reserved for the platform operators."
    )
    assert not Tenant.objects.filter(slug="platform").exists()


def test_a_platform_tenant_given_roles_is_refused(monkeypatch: Any) -> None:
    result = create_operator(login="ops", password="a-long-operator-secret")
    with tenant_context(result.tenant):
        ensure_seed_roles()
    with pytest.raises(DomainError) as refused:
        create_operator(login="ops2", password="a-long-operator-secret")
    assert (refused.value.code, refused.value.message) == (
        "platform_tenant_has_roles",
        "The platform tenant 'platform' holds roles; it must hold operators only.",
    )
    with tenant_context(result.tenant):
        assert list(Person.objects.values_list("login", flat=True)) == ["ops"]


def test_an_operator_reads_no_tenant_data_over_the_api(platform_operator: Any) -> None:
    client = platform_operator.client()
    me = client.get("/api/v1/me/").json()
    assert (me["tenant"], me["roles"], me["capabilities"]) == ("platform", [], [])
    people = client.get("/api/v1/people/")
    assert (people.status_code, people.json()) == (403, PERMISSION_DENIED)
    with tenant_context(platform_operator.tenant):
        assert not platform_operator.person.has_capability("people.view")
        assert not platform_operator.person.has_capability("admin.manage")


def set_superuser(persona: Any) -> tuple[bool, bool, bool]:
    """Set the flag by hand, as nothing in the application does, and read the person back."""
    with tenant_context(persona.tenant):
        Person.objects.filter(pk=persona.person.pk).update(is_superuser=True)
        person = Person.objects.get(pk=persona.person.pk)
        return person.is_platform_operator, person.is_staff, person.has_capability("people.view")


def test_is_superuser_outside_the_platform_tenant_grants_nothing(tenant_a_guard: Any, tenant_a_admin: Any) -> None:
    assert set_superuser(tenant_a_guard) == (False, False, False)
    assert tenant_a_guard.console().get("/admin/").status_code == 302
    people = tenant_a_guard.client().get("/api/v1/people/")
    assert (people.status_code, people.json()) == (403, PERMISSION_DENIED)

    assert set_superuser(tenant_a_admin) == (False, True, True)
    client = tenant_a_admin.console()
    assert client.get("/admin/people/person/").status_code == 200
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client.get("/admin/tenants/tenant/").status_code == 403


def test_the_console_home_links_the_admin_for_the_people_who_may_use_it(
    platform_operator: Any, tenant_a_admin: Any, tenant_a_supervisor: Any
) -> None:
    link = b'<a href="/admin/">Administration</a>'
    assert link in platform_operator.console().get("/").content
    assert link in tenant_a_admin.console().get("/").content
    assert link not in tenant_a_supervisor.console().get("/").content
