"""Row-level security for every tenant-owned table, installed after each ``migrate``.

Installing from ``post_migrate`` (rather than one migration per model) means a model
gets its policy by subclassing ``TenantModel``; nobody has to remember a migration step.
The work is idempotent and only touches tables that lack the policy or trigger.

Version trigger: every write takes the next value of its tenant's sequence,
``youtility_sync_version_t<tenant id>`` (core migration 0006; one per tenant, so a
version says nothing about how much other tenants write), unless the statement took it
itself: set-based writers (job planning and auto-close) write ``version =
nextval(<the tenant's sequence>)``, named once with ``version_sequence``, and the
triggers' WHEN clauses (an insert with a version above 0, an update that raised it) then
skip the PL/pgSQL call, a few microseconds a row. The ORM always inserts 0
(``SyncVersionField``), and a stale or unchanged version in an UPDATE (an ORM save) still
gets a fresh one. Versions are strictly increasing per tenant and database, with gaps (a
rolled-back write uses one up).

Policy: a row is visible and writable when its ``tenant_id`` equals the session setting
``youtility.tenant_id``, or when ``youtility.system`` is ``on`` (``system_context``).
With neither set, nothing is visible: the database fails closed like the managers do.
``FORCE`` applies the policy to the table owner too; only superusers and BYPASSRLS roles
skip it, and the runtime role is neither.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections

from .models import TenantModel

POLICY_NAME = "tenant_isolation"
POLICY_EXPR = (
    "(current_setting('youtility.system', true) = 'on' "
    "OR tenant_id = NULLIF(current_setting('youtility.tenant_id', true), '')::bigint)"
)


def version_sequence(tenant_id: int, using: str = "default") -> str:
    """The name of the tenant's version sequence in database ``using``, made if missing.

    The runtime role cannot create objects: ``youtility_ensure_version_sequence`` runs as
    the schema owner (SECURITY DEFINER), so tenant onboarding works from any process.
    """
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT youtility_ensure_version_sequence(%s)::text", [tenant_id])
        return str(cursor.fetchone()[0])


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy and model._meta.managed
    )


def versioned_tables() -> list[str]:
    """Tenant tables whose rows carry a sync version (``TenantModel.sync_versioned``)."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy and model._meta.managed and model.sync_versioned
    )


def install_row_level_security(using: str = "default", **_: Any) -> list[str]:
    """Enable and force RLS, create the policy and the version trigger where missing."""
    connection = connections[using]
    changed: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('youtility_bump_version()') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return changed  # core migrations have not run on this database yet
        versioned = set(versioned_tables())
        for table in tenant_tables():
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, "
                "EXISTS(SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = %s), "
                "EXISTS(SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s AND t.tgqual IS NOT NULL), "
                "EXISTS(SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s) "
                "FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [POLICY_NAME, f"{table}_version", f"{table}_version_update", table],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            enabled, forced, has_policy, has_insert_trigger, has_update_trigger = row
            quoted = connection.ops.quote_name(table)
            if table not in versioned:
                # Not synced: no version triggers (dropped if an earlier install made them).
                for name in (f"{table}_version", f"{table}_version_update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {connection.ops.quote_name(name)} ON {quoted}")
                has_insert_trigger = has_update_trigger = True
            if not enabled:
                cursor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
            if not forced:
                cursor.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
            if not has_policy:
                cursor.execute(f"CREATE POLICY {POLICY_NAME} ON {quoted} USING {POLICY_EXPR} WITH CHECK {POLICY_EXPR}")
            if not has_insert_trigger:
                # Replaces the unconditional insert trigger (or the single INSERT OR UPDATE
                # trigger) of earlier installs.
                on_insert = connection.ops.quote_name(f"{table}_version")
                cursor.execute(f"DROP TRIGGER IF EXISTS {on_insert} ON {quoted}")
                cursor.execute(
                    f"CREATE TRIGGER {on_insert} BEFORE INSERT ON {quoted} FOR EACH ROW "
                    "WHEN (NEW.version <= 0) EXECUTE FUNCTION youtility_bump_version()"
                )
            if not has_update_trigger:
                on_update = connection.ops.quote_name(f"{table}_version_update")
                cursor.execute(
                    f"CREATE TRIGGER {on_update} BEFORE UPDATE ON {quoted} FOR EACH ROW "
                    f"WHEN (NEW.version <= OLD.version) EXECUTE FUNCTION youtility_bump_version()"
                )
            if not (enabled and forced and has_policy and has_insert_trigger and has_update_trigger):
                changed.append(table)
    return changed
