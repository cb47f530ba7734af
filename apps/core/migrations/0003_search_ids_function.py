from django.db import migrations

# Row-level security puts its policy ahead of every condition that is not LEAKPROOF, and
# LIKE is not: under RLS the trigram indexes can never answer a search. This function
# runs the search as a role that bypasses RLS (so the indexes apply), but only within the
# tenant named by the same session setting the policies use, and returns ids only; the
# caller then reads the rows through RLS as usual. Without that role (a database where
# nobody ran the bootstrap as a superuser) it belongs to the schema owner and is subject
# to RLS like any query: correct, just not indexed.
SEARCH_IDS = r"""
CREATE OR REPLACE FUNCTION yt_search_ids(tbl regclass, cols text[], needle text, max_rows integer)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    tenant bigint := NULLIF(current_setting('youtility.tenant_id', true), '')::bigint;
    condition text;
    pattern text;
BEGIN
    IF tenant IS NULL OR coalesce(array_length(cols, 1), 0) = 0 THEN
        RETURN;
    END IF;
    SELECT string_agg(format('yt_unaccent(lower(%I)) LIKE $2', col), ' OR ') INTO condition FROM unnest(cols) AS col;
    pattern := '%' || replace(replace(replace(yt_unaccent(lower(needle)), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    RETURN QUERY EXECUTE format('SELECT id FROM %s WHERE tenant_id = $1 AND (%s) LIMIT $3', tbl, condition)
        USING tenant, pattern, max_rows;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'youtility_search')
       AND pg_has_role(current_user, 'youtility_search', 'MEMBER') THEN
        ALTER FUNCTION yt_search_ids(regclass, text[], text, integer) OWNER TO youtility_search;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_search_functions")]

    operations = [
        migrations.RunSQL(SEARCH_IDS, reverse_sql="DROP FUNCTION IF EXISTS yt_search_ids(regclass, text[], text, integer);"),
    ]
