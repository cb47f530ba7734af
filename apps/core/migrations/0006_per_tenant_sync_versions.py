from django.db import migrations

# One version sequence per tenant (``youtility_sync_version_t<tenant id>``) instead of one
# for the whole database: a row's ``version`` no longer tells a tenant how much the others
# write. The sequences belong to the schema owner; the runtime role cannot CREATE, so a
# SECURITY DEFINER function of the owner makes a missing one (a new tenant) and gives it
# the privileges the global sequence has (the runtime role's USAGE). Like every function it
# may be called by anyone; it only ever makes the sequence of an existing tenant. The
# trigger names the row's sequence (a catalog lookup, about a microsecond; a lookup table
# costs a query per row) and makes it if missing, so no path that creates a tenant can
# break writes.
#
# Existing tenants start above every version this database has handed out, so each row's
# version keeps growing. The global sequence is left in place, no longer advanced.
ENSURE_SEQUENCE = r"""
CREATE OR REPLACE FUNCTION youtility_ensure_version_sequence(tenant bigint, start bigint DEFAULT 1)
RETURNS regclass
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    seq_name text := 'youtility_sync_version_t' || tenant;
    seq regclass := to_regclass(seq_name);
    privilege record;
BEGIN
    IF seq IS NOT NULL THEN
        RETURN seq;
    END IF;
    IF NOT EXISTS (SELECT FROM tenants_tenant WHERE id = tenant) THEN
        RAISE EXCEPTION 'no tenant %', tenant USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- Two first writes of a new tenant at once: the second waits for the first to commit.
    PERFORM pg_advisory_xact_lock(hashtextextended(seq_name, 0));
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq_name, greatest(start, 1));
    seq := to_regclass(seq_name);
    FOR privilege IN
        SELECT a.privilege_type,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
        FROM pg_class AS c
        CROSS JOIN LATERAL aclexplode(c.relacl) AS a
        LEFT JOIN pg_roles AS r ON r.oid = a.grantee
        WHERE c.oid = 'youtility_sync_version'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON SEQUENCE %s TO %s', privilege.privilege_type, seq, privilege.grantee);
    END LOOP;
    RETURN seq;
END
$$;
"""

EXISTING_TENANTS = r"""
DO $$
DECLARE
    tenant bigint;
BEGIN
    FOR tenant IN SELECT id FROM tenants_tenant ORDER BY id LOOP
        PERFORM youtility_ensure_version_sequence(tenant, nextval('youtility_sync_version'));
    END LOOP;
END
$$;
"""

BUMP_VERSION = r"""
CREATE OR REPLACE FUNCTION youtility_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seq regclass := to_regclass('youtility_sync_version_t' || NEW.tenant_id);
BEGIN
    IF seq IS NULL THEN
        seq := youtility_ensure_version_sequence(NEW.tenant_id);
    END IF;
    NEW.version := nextval(seq);
    RETURN NEW;
END
$$;
"""

# Back to one sequence: it continues above every tenant's, so versions still only grow.
GLOBAL_AGAIN = r"""
CREATE OR REPLACE FUNCTION youtility_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('youtility_sync_version');
    RETURN NEW;
END
$$;
DO $$
DECLARE
    seq regclass;
    highest bigint;
BEGIN
    FOR seq IN
        SELECT c.oid::regclass FROM pg_class AS c
        WHERE c.relkind = 'S' AND c.relname ~ '^youtility_sync_version_t[0-9]+$'
    LOOP
        EXECUTE format('SELECT last_value FROM %s', seq) INTO highest;
        IF highest >= (SELECT last_value FROM youtility_sync_version) THEN
            PERFORM setval('youtility_sync_version', highest);
        END IF;
        EXECUTE format('DROP SEQUENCE %s', seq);
    END LOOP;
END
$$;
DROP FUNCTION IF EXISTS youtility_ensure_version_sequence(bigint, bigint);
"""


class Migration(migrations.Migration):
    """Per-tenant sync versions: a sequence per tenant, made by a function of the schema owner."""

    dependencies = [("core", "0005_attachment"), ("tenants", "0001_initial")]

    operations = [
        migrations.RunSQL(ENSURE_SEQUENCE + EXISTING_TENANTS + BUMP_VERSION, reverse_sql=GLOBAL_AGAIN),
    ]
