"""The ORM layer of tenancy: scoped managers fail closed and never cross tenants."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from apps.core.rls import version_sequence
from apps.core.tenancy import TenantContextMissing, system_context, tenant_context
from apps.people.models import Person, Role
from conftest import make_persona


@pytest.fixture
def two_tenants(tenant_a_admin, tenant_a_guard, tenant_b_admin):
    return tenant_a_admin, tenant_a_guard, tenant_b_admin


def test_queries_without_tenant_raise(two_tenants):
    operations = [
        lambda: list(Person.objects.all()),
        lambda: Person.objects.count(),
        lambda: Person.objects.exists(),
        lambda: Person.objects.filter(login="admin").first(),
        lambda: Person.objects.get(login="admin"),
        lambda: Person.objects.aggregate(n=Count("id")),
        lambda: list(Person.objects.values_list("login", flat=True)),
        lambda: list(Person.objects.iterator()),
        lambda: Person.objects.filter(login="x").update(name="y"),
        lambda: Person.objects.filter(login="x").delete(),
        lambda: list(Role.objects.filter(people__in=Person.objects.all())),
    ]
    for operation in operations:
        with pytest.raises(TenantContextMissing):
            operation()


def test_tenant_context_sees_only_its_rows(two_tenants):
    a_admin, _, b_admin = two_tenants
    with tenant_context(a_admin.tenant):
        assert sorted(Person.objects.values_list("login", flat=True)) == ["admin", "guard"]
        assert Person.objects.filter(pk=b_admin.person.pk).exists() is False
        with pytest.raises(Person.DoesNotExist):
            Person.objects.get(pk=b_admin.person.pk)
        assert Person.objects.filter(pk=b_admin.person.pk).update(name="hacked") == 0
    with tenant_context(b_admin.tenant):
        assert list(Person.objects.values_list("login", flat=True)) == ["admin"]
        assert Person.objects.get(pk=b_admin.person.pk).name == "Admin"


def test_class_level_queryset_binds_at_evaluation(two_tenants):
    a_admin, _, b_admin = two_tenants
    queryset = Person.objects.all().order_by("login")  # built with no tenant, like a viewset attribute
    with tenant_context(a_admin.tenant):
        assert [p.login for p in queryset.all()] == ["admin", "guard"]
    with tenant_context(b_admin.tenant):
        assert [p.login for p in queryset.all()] == ["admin"]


def test_queryset_bound_to_one_tenant_cannot_run_for_another(two_tenants):
    a_admin, _, b_admin = two_tenants
    with tenant_context(a_admin.tenant):
        bound = Person.objects.filter(is_active=True)
        assert bound.count() == 2
    with tenant_context(b_admin.tenant), pytest.raises(TenantContextMissing):
        list(bound.filter(login="admin"))


def test_system_context_spans_tenants(two_tenants):
    with system_context("test"):
        assert Person.objects.count() == 3
        assert sorted(Person.objects.values_list("tenant__slug", flat=True)) == ["alpha", "alpha", "bravo"]


def test_save_takes_tenant_from_context_and_refuses_foreign_rows(two_tenants):
    a_admin, _, b_admin = two_tenants
    with tenant_context(a_admin.tenant):
        role = Role.objects.create(code="patrol", name="Patrol", capabilities=["jobs.perform"])
        assert role.tenant_id == a_admin.tenant.pk
        assert role.created_by_id is None
    with tenant_context(b_admin.tenant), pytest.raises(TenantContextMissing):
        role.name = "Changed"
        role.save()
    with pytest.raises(TenantContextMissing):
        Role(code="x", name="X").save()
    with system_context("test"), pytest.raises(TenantContextMissing):
        Role(code="y", name="Y").save()  # system jobs must say which tenant a new row is for


def test_bulk_create_fills_tenant(two_tenants):
    a_admin, _, _ = two_tenants
    with tenant_context(a_admin.tenant):
        created = Role.objects.bulk_create([Role(code="r1", name="R1"), Role(code="r2", name="R2")])
        assert {r.tenant_id for r in created} == {a_admin.tenant.pk}


def test_version_increases_on_every_write(two_tenants):
    a_admin, _, _ = two_tenants
    with tenant_context(a_admin.tenant):
        role = Role.objects.create(code="v", name="V")
        first = role.version
        assert first > 0
        Role.objects.filter(pk=role.pk).update(name="V2")  # bulk update, no save()
        second = Role.objects.get(pk=role.pk).version
        role.refresh_from_db()
        role.name = "V3"
        role.save()
        third = Role.objects.get(pk=role.pk).version
        # A save from a stale copy (another write came in between) still gets a fresh version.
        stale = Role.objects.get(pk=role.pk)
        Role.objects.filter(pk=role.pk).update(name="V4")
        fourth = Role.objects.get(pk=role.pk).version
        stale.name = "V5"
        stale.save()
        fifth = Role.objects.get(pk=role.pk).version
        # A set-based writer may take the next version itself; the trigger then stands aside.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE people_role SET name = 'V6', version = nextval(%s::regclass) WHERE id = %s RETURNING version",
                [version_sequence(a_admin.tenant.pk), role.pk],
            )
            sixth = cursor.fetchone()[0]
        assert Role.objects.get(pk=role.pk).version == sixth
    assert first < second < third < fourth < fifth < sixth


def test_uuid_and_login_are_unique_per_tenant_only(two_tenants):
    a_admin, _, b_admin = two_tenants
    shared = uuid.uuid4()
    with tenant_context(a_admin.tenant):
        Role.objects.create(code="u", name="U", uuid=shared)
    with tenant_context(b_admin.tenant):
        Role.objects.create(code="u", name="U", uuid=shared)  # other tenant: allowed
        with pytest.raises(IntegrityError), transaction.atomic():
            Role.objects.create(code="u2", name="U2", uuid=shared)
    # "admin" exists in both tenants already.
    make_persona(b_admin.tenant, "guard", login="guard")
    with system_context("test"):
        assert Person.objects.filter(login="guard").count() == 2


def test_actor_is_recorded(two_tenants):
    from apps.core.context import reset_actor, set_actor

    a_admin, _, _ = two_tenants
    token = set_actor(a_admin.person.pk)
    try:
        with tenant_context(a_admin.tenant):
            role = Role.objects.create(code="audited", name="Audited")
    finally:
        reset_actor(token)
    assert (role.created_by_id, role.modified_by_id) == (a_admin.person.pk, a_admin.person.pk)
