"""Autocomplete search under row-level security: indexed, and still one tenant only."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import ProgrammingError, connection, transaction

from apps.core.search import search, searchable_fields
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from conftest import make_persona


def test_search_function_runs_as_a_role_that_bypasses_rls(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolname, r.rolbypassrls, r.rolcanlogin, p.prosecdef FROM pg_proc p "
            "JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'yt_search_ids'"
        )
        assert cursor.fetchone() == ("youtility_search", True, False, True)


def test_search_finds_only_the_current_tenants_rows(tenant_a_admin, tenant_b_admin):
    for tenant, login, name in (
        (tenant_a_admin.tenant, "jose-a", "José Álvarez"),
        (tenant_b_admin.tenant, "jose-b", "José Bravo"),
    ):
        persona = make_persona(tenant, "guard", login=login)
        with tenant_context(tenant):
            Person.objects.filter(pk=persona.person.pk).update(name=name)
    with tenant_context(tenant_a_admin.tenant):
        assert list(search(Person.objects.all(), ("name", "login"), "JOSE").values_list("login", flat=True)) == [
            "jose-a"
        ]
    with tenant_context(tenant_b_admin.tenant):
        assert list(search(Person.objects.all(), ("name",), "álv").values_list("login", flat=True)) == []
        assert list(search(Person.objects.all(), ("name",), "bravo").values_list("login", flat=True)) == ["jose-b"]


@pytest.mark.django_db(transaction=True)
def test_the_functions_query_uses_the_trigram_index():
    """The query the function runs, planned as its owner, is answered from the index."""
    from conftest import make_tenant

    tenant = make_tenant("searchplan")
    with tenant_context(tenant):
        Person.objects.bulk_create(
            [Person(login=f"p{n:05d}", name=f"Person {n:05d}", password="!") for n in range(3000)]
        )
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=settings.TEST_OWNER_USER,  # type: ignore[misc]
        autocommit=True,
    ) as owner:
        owner.execute("ANALYZE people_person")
        owner.execute("SET ROLE youtility_search")
        plan = "\n".join(
            row[0]
            for row in owner.execute(
                "EXPLAIN SELECT id FROM people_person WHERE tenant_id = %s "
                "AND (yt_unaccent(lower(name)) LIKE %s OR yt_unaccent(lower(login)) LIKE %s) LIMIT 1000",
                [tenant.pk, "%01234%", "%01234%"],
            ).fetchall()
        )
    assert "Bitmap Index Scan on people_person_name_trgm" in plan, plan
    assert "Bitmap Index Scan on people_person_login_trgm" in plan, plan


@pytest.mark.parametrize(
    ("table", "columns", "refused"),
    [
        ("people_person", ["name", "password"], "password"),
        ("people_person", ["email", "login"], "email"),
        ("tenants_tenant", ["slug"], "slug"),
    ],
)
def test_search_function_refuses_columns_without_a_search_index(tenant_a_admin, table, columns, refused):
    """The function bypasses RLS, so it searches only what the application declared searchable."""
    with tenant_context(tenant_a_admin.tenant), connection.cursor() as cursor:
        with pytest.raises(ProgrammingError, match=f"column {refused} of {table} is not searchable"):
            with transaction.atomic():
                cursor.execute("SELECT yt_search_ids(%s::regclass, %s::text[], 'a', 10)", [table, columns])
        cursor.execute("SELECT count(*) FROM yt_search_ids('people_person'::regclass, ARRAY['name', 'login'], 'a', 10)")
        assert cursor.fetchone() == (1,)  # the admin persona itself


def test_search_refuses_fields_without_a_search_index(tenant_a_admin):
    assert searchable_fields(Person) == {"login", "name", "code"}
    with tenant_context(tenant_a_admin.tenant):
        with pytest.raises(ImproperlyConfigured, match=r"people\.Person has no search_index on email"):
            search(Person.objects.all(), ("name", "email"), "a")


def test_system_check_names_an_autocomplete_field_without_a_search_index():
    from apps.core.api.autocomplete import AutocompleteMixin
    from apps.core.checks import check_autocomplete_fields

    assert check_autocomplete_fields() == []

    class EmailPicker(AutocompleteMixin):
        queryset = Person.objects.all()
        autocomplete_fields = ("name", "email")

    try:
        errors = check_autocomplete_fields()
    finally:
        AutocompleteMixin.registry.remove(EmailPicker)
    assert [(error.id, error.msg) for error in errors] == [
        ("core.E006", "EmailPicker.autocomplete_fields names email, which people.Person does not index for search.")
    ]
