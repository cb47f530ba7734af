"""Sync versions are per tenant: strictly increasing, and blind to other tenants' writes.

Each tenant takes its row versions from a sequence of its own
(``youtility_sync_version_t<id>``), made with the tenant by the schema owner's function,
in whichever database the tenant's rows live. What another tenant writes never moves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from apps.core.rls import version_sequence
from apps.core.tenancy import tenant_context
from apps.people.models import Role
from apps.tenants.models import Lookup, Tenant
from apps.tenants.services import create_tenant
from conftest import Persona

LOOKUPS = "/api/v1/lookups/"


def sequence_state(tenant_id: int, using: str = "default") -> tuple[str, bool, bool] | None:
    """(owner, runtime role may use it, runtime role may create in the schema), or None
    when the tenant has no sequence in that database."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_userbyid(c.relowner), has_sequence_privilege(c.oid, 'USAGE'), "
            "has_schema_privilege('public', 'CREATE') "
            "FROM pg_class c WHERE c.oid = to_regclass(%s) AND c.relkind = 'S'",
            [f"youtility_sync_version_t{tenant_id}"],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2])


def last_value(tenant_id: int, using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM youtility_sync_version_t{int(tenant_id)}")
        return int(cursor.fetchone()[0])


def add_lookup(client: Any, code: str) -> tuple[int, int]:
    """(id, version) of a department created over REST."""
    response = client.post(LOOKUPS, {"kind": "DEPARTMENT", "code": code, "name": f"Department {code}"}, format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["id"]), int(response.json()["version"])


def test_interleaved_writers_each_see_their_own_versions(tenant_a_admin: Persona, tenant_b_admin: Persona) -> None:
    # Signed in first: signing in writes too (the refresh token, the last login).
    a, b = tenant_a_admin.client(), tenant_b_admin.client()
    first, a1 = add_lookup(a, "A1")
    bs = [add_lookup(b, f"B{n}")[1] for n in range(1, 6)]
    a2 = add_lookup(a, "A2")[1]
    bs.append(add_lookup(b, "B6")[1])
    renamed = a.patch(f"{LOOKUPS}{first}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200, renamed.content
    bs.append(add_lookup(b, "B7")[1])
    a4 = add_lookup(a, "A3")[1]

    # Tenant B's seven writes did not move tenant A's next version, nor A's three B's.
    assert (a2, a.get(f"{LOOKUPS}{first}/").json()["version"], a4) == (a1 + 1, a1 + 2, a1 + 3)
    assert bs == list(range(bs[0], bs[0] + 7))
    assert last_value(tenant_a_admin.tenant.pk) == a4
    assert last_value(tenant_b_admin.tenant.pk) == bs[-1]

    listed = a.get(LOOKUPS, {"kind": "DEPARTMENT"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert sorted(row["version"] for row in rows) == [a1 + 1, a1 + 2, a1 + 3]


def test_an_update_takes_the_next_version_of_its_own_tenant(tenant_a: Tenant, tenant_b: Tenant) -> None:
    with tenant_context(tenant_a):
        role = Role.objects.create(code="night", name="Night")
        created = role.version
    with tenant_context(tenant_b):
        for n in range(3):
            Role.objects.create(code=f"b{n}", name=f"B{n}")
    with tenant_context(tenant_a):
        Role.objects.filter(pk=role.pk).update(name="Night shift")
        assert Role.objects.get(pk=role.pk).version == created + 1


def test_a_new_tenant_gets_its_sequence_from_the_runtime_role(db: Any) -> None:
    tenant = create_tenant(slug="newco", name="Newco")
    # Made by the schema owner's function: the runtime role itself may not create.
    assert sequence_state(tenant.pk) == (settings.TEST_OWNER_USER, True, False)  # type: ignore[misc]
    with tenant_context(tenant):
        first = Lookup.objects.create(kind="DEPARTMENT", code="OPS", name="Operations")
        second = Lookup.objects.create(kind="DEPARTMENT", code="HR", name="People")
    # A new tenant counts from 1: its versions say nothing about anyone else.
    assert (first.version, second.version) == (1, 2)


def test_a_tenant_made_without_the_service_gets_its_sequence_on_first_write(db: Any) -> None:
    tenant = Tenant.objects.create(slug="bare", name="Bare")
    assert sequence_state(tenant.pk) is None
    with tenant_context(tenant):
        row = Lookup.objects.create(kind="DEPARTMENT", code="OPS", name="Operations")
    assert row.version == 1
    assert sequence_state(tenant.pk) == (settings.TEST_OWNER_USER, True, False)  # type: ignore[misc]


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_a_dedicated_database_tenant_gets_its_sequence_there() -> None:
    tenant = create_tenant(slug="isolated", name="Isolated", db_alias="dedicated")
    assert sequence_state(tenant.pk, "dedicated") == (settings.TEST_OWNER_USER, True, False)  # type: ignore[misc]
    assert sequence_state(tenant.pk, "default") is None
    with tenant_context(tenant):
        row = Lookup.objects.create(kind="DEPARTMENT", code="OPS", name="Operations")
    assert (row._state.db, row.version, last_value(tenant.pk, "dedicated")) == ("dedicated", 1, 1)
    assert version_sequence(tenant.pk, using="dedicated") == f"youtility_sync_version_t{tenant.pk}"


@pytest.fixture
def as_owner() -> Iterator[Any]:
    """The default connection as the schema owner (migrations need it), then back."""
    connection = connections["default"]
    runtime = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = settings.TEST_OWNER_USER  # type: ignore[misc]
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict["USER"] = runtime


@pytest.mark.django_db(transaction=True)
def test_the_migration_starts_existing_tenants_above_every_version_handed_out(as_owner: Any) -> None:
    executor = MigrationExecutor(as_owner)
    executor.migrate([("core", "0005_attachment")])
    try:
        # Before: one sequence for everyone.
        tenant = Tenant.objects.create(slug="legacy", name="Legacy")
        other = Tenant.objects.create(slug="other", name="Other")
        with tenant_context(tenant):
            old = Lookup.objects.create(kind="DEPARTMENT", code="OPS", name="Operations")
        with tenant_context(other):
            Lookup.objects.create(kind="DEPARTMENT", code="OPS", name="Operations")
        with as_owner.cursor() as cursor:
            cursor.execute("SELECT last_value FROM youtility_sync_version")
            handed_out = cursor.fetchone()[0]
        assert sequence_state(tenant.pk) is None and handed_out > old.version
    finally:
        MigrationExecutor(as_owner).migrate([("core", "0006_per_tenant_sync_versions")])

    with tenant_context(tenant):
        Lookup.objects.filter(pk=old.pk).update(name="Operations room")
        updated = Lookup.objects.get(pk=old.pk).version
        new = Lookup.objects.create(kind="DEPARTMENT", code="HR", name="People").version
    with tenant_context(other):
        other_new = Lookup.objects.create(kind="DEPARTMENT", code="HR", name="People").version
    # Each existing tenant continues above everything the global sequence gave out.
    assert handed_out < updated < new == updated + 1
    assert handed_out < other_new
    with as_owner.cursor() as cursor:
        cursor.execute("SELECT last_value FROM youtility_sync_version")
        frozen = cursor.fetchone()[0]
    # The global sequence gave each existing tenant its start, then stopped moving.
    assert frozen == handed_out + Tenant.objects.count()


def test_only_a_version_taken_from_the_tenants_sequence_passes_the_insert_trigger(tenant_a: Tenant) -> None:
    """Set-based writers put ``nextval`` of the tenant's sequence in the row and the
    trigger stands aside; every other insert (the ORM's, a copy of a saved row, raw SQL
    with 0) gets the next version from the trigger."""
    with tenant_context(tenant_a):
        role = Role.objects.create(code="night", name="Night")
        copy = Role.objects.get(pk=role.pk)
        copy.pk, copy.code, copy.uuid = None, "night-2", uuid.uuid4()
        copy.save()  # carries the original's version into the insert: the ORM sends 0
        assert (role.version, copy.version) == (role.version, role.version + 1)
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO people_role (tenant_id, uuid, created_at, modified_at, version, code, name, capabilities) "
                "VALUES (%s, gen_random_uuid(), now(), now(), 0, 'raw', 'Raw', '{}'), "
                "(%s, gen_random_uuid(), now(), now(), nextval(%s::regclass), 'set', 'Set', '{}') RETURNING version",
                [tenant_a.pk, tenant_a.pk, version_sequence(tenant_a.pk)],
            )
            assert [row[0] for row in cursor.fetchall()] == [role.version + 2, role.version + 3]
    assert last_value(tenant_a.pk) == role.version + 3


def test_every_tenant_table_skips_the_trigger_only_for_a_version_set_by_the_statement(db: Any) -> None:
    from apps.core.rls import versioned_tables

    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname IN (c.relname || '_version', c.relname || '_version_update')"
        )
        found = {(table, name): definition for table, name, definition in cursor.fetchall()}
    for table in versioned_tables():
        assert "BEFORE INSERT" in found[(table, f"{table}_version")]
        assert "WHEN ((new.version <= 0))" in found[(table, f"{table}_version")]
        assert "WHEN ((new.version <= old.version))" in found[(table, f"{table}_version_update")]
