"""Row-level security: below the ORM, raw SQL cannot cross tenants either."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps.core.rls import POLICY_NAME, tenant_tables, versioned_tables
from apps.core.tenancy import system_context, tenant_context


def _logins(sql: str = "SELECT login FROM people_person ORDER BY login") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def test_runtime_role_cannot_bypass_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_every_tenant_table_has_forced_rls_policy_and_version_trigger(db):
    tables = tenant_tables()
    versioned = set(versioned_tables())
    assert set(tables) - versioned == {"audit_changelog"}  # the only table no device syncs
    assert {"people_person", "people_role", "people_roleassignment", "people_refreshtoken"} <= set(tables)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, "
                "EXISTS(SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = %s), "
                "EXISTS(SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s), "
                "EXISTS(SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s) "
                "FROM pg_class c WHERE c.relname = %s",
                [POLICY_NAME, f"{table}_version", f"{table}_version_update", table],
            )
            triggers = (True, True) if table in versioned else (False, False)
            assert cursor.fetchone() == (True, True, True, *triggers), table


def test_raw_sql_sees_only_the_current_tenant(tenant_a_admin, tenant_a_guard, tenant_b_admin):
    with tenant_context(tenant_a_admin.tenant):
        assert _logins() == ["admin", "guard"]
    with tenant_context(tenant_b_admin.tenant):
        assert _logins() == ["admin"]
    assert _logins() == []  # no tenant: nothing, not everything
    with system_context("test"):
        assert len(_logins()) == 3


def test_raw_sql_cannot_write_another_tenants_rows(tenant_a_admin, tenant_b_admin):
    b_id = tenant_b_admin.person.pk
    with tenant_context(tenant_a_admin.tenant):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE people_person SET name = 'hacked' WHERE id = %s", [b_id])
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM people_person WHERE id = %s", [b_id])
            assert cursor.rowcount == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE people_role SET tenant_id = %s WHERE tenant_id = %s",
                    [tenant_b_admin.tenant.pk, tenant_a_admin.tenant.pk],
                )
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO people_role (tenant_id, uuid, created_at, modified_at, version, code, name, capabilities)"
                    " VALUES (%s, gen_random_uuid(), now(), now(), 0, 'evil', 'Evil', '{}')",
                    [tenant_b_admin.tenant.pk],
                )
    with tenant_context(tenant_b_admin.tenant):
        assert _logins("SELECT name FROM people_person") == ["Admin"]


def test_client_cannot_switch_tenant_setting_from_sql_without_it_being_reset(tenant_a_admin, tenant_b_admin):
    """The setting is re-applied from the context before each statement that needs it."""
    with tenant_context(tenant_a_admin.tenant):
        assert _logins() == ["admin"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('youtility.tenant_id')")
            assert cursor.fetchone() == (str(tenant_a_admin.tenant.pk),)


def test_rolled_back_setting_is_restored(tenant_a_admin, tenant_a_guard, tenant_b_admin):
    """A rollback undoes set_config; the next statement must not run with the old tenant."""
    with tenant_context(tenant_b_admin.tenant):
        assert _logins() == ["admin"]  # the session setting is now tenant B (committed)
    try:
        with tenant_context(tenant_a_admin.tenant), transaction.atomic():
            assert _logins() == ["admin", "guard"]  # set to A inside the transaction
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with tenant_context(tenant_a_admin.tenant):
        assert _logins() == ["admin", "guard"]


def test_setting_is_applied_before_a_server_side_cursor(tenant_a_admin, tenant_b_admin):
    """``.iterator()`` in a transaction (the test's own) uses a server-side cursor; the
    setting must still change before it, or raw SQL afterwards runs as the old tenant."""
    from apps.people.models import Person

    with tenant_context(tenant_a_admin.tenant):
        assert _logins() == ["admin"]
    with tenant_context(tenant_b_admin.tenant):
        assert [p.pk for p in Person.objects.all().iterator(chunk_size=10)] == [tenant_b_admin.person.pk]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('youtility.tenant_id')")
            assert cursor.fetchone() == (str(tenant_b_admin.tenant.pk),)
        assert _logins("SELECT name FROM people_person") == ["Admin"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM people_person")
            assert [row[0] for row in cursor.fetchall()] == [tenant_b_admin.person.pk]
