from importlib import import_module

from django.db import migrations

# yt_search_ids runs as a role that bypasses row-level security, so it must not be a way
# to read any column of any table. It now searches only columns that carry a search
# index (``apps.core.search.search_index``: the expression ``yt_unaccent(lower(col))``
# in an index of that table), which is exactly the set of columns the application
# declares searchable, and any other request is refused (SQLSTATE 42501). Checking the
# catalog instead of a hand-kept list means a new search index needs no second step.
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
    refused text;
BEGIN
    IF tenant IS NULL OR coalesce(array_length(cols, 1), 0) = 0 THEN
        RETURN;
    END IF;
    SELECT col INTO refused FROM unnest(cols) AS col
    WHERE NOT EXISTS (
        SELECT FROM pg_index i, generate_series(1, i.indnatts) AS k
        WHERE i.indrelid = tbl AND i.indexprs IS NOT NULL
          AND pg_get_indexdef(i.indexrelid, k, false)
              IN (format('yt_unaccent(lower(%I))', col), format('yt_unaccent(lower((%I)::text))', col))
    )
    LIMIT 1;
    IF refused IS NOT NULL THEN
        RAISE EXCEPTION 'column % of % is not searchable', refused, tbl USING ERRCODE = '42501';
    END IF;
    SELECT string_agg(format('yt_unaccent(lower(%I)) LIKE $2', col), ' OR ') INTO condition FROM unnest(cols) AS col;
    pattern := '%' || replace(replace(replace(yt_unaccent(lower(needle)), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    RETURN QUERY EXECUTE format('SELECT id FROM %s WHERE tenant_id = $1 AND (%s) LIMIT $3', tbl, condition)
        USING tenant, pattern, max_rows;
END
$$;
"""

# Going back restores the function of migration 0003.
PREVIOUS = import_module("apps.core.migrations.0003_search_ids_function").SEARCH_IDS


class Migration(migrations.Migration):
    dependencies = [("core", "0003_search_ids_function")]

    operations = [migrations.RunSQL(SEARCH_IDS, reverse_sql=PREVIOUS)]
