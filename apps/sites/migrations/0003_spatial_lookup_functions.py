from django.db import migrations

# The spatial filters have the problem autocomplete had (see core 0003): under row-level
# security the GiST indexes cannot answer ST_DWithin/ST_Covers, whose operators are not
# LEAKPROOF. These functions run the lookup as youtility_search (bypasses RLS, reads only)
# within the tenant named by the session setting, and return ids.
SPATIAL = r"""
CREATE OR REPLACE FUNCTION yt_sites_near(lon double precision, lat double precision, within_m double precision, max_rows integer)
RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT id FROM sites_site
    WHERE tenant_id = NULLIF(current_setting('youtility.tenant_id', true), '')::bigint
      AND ST_DWithin(location, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, within_m)
    LIMIT max_rows
$$;
CREATE OR REPLACE FUNCTION yt_sites_covering(lon double precision, lat double precision, max_rows integer)
RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT id FROM sites_site
    WHERE tenant_id = NULLIF(current_setting('youtility.tenant_id', true), '')::bigint
      AND ST_Covers(geofence, ST_SetSRID(ST_MakePoint(lon, lat), 4326))
    LIMIT max_rows
$$;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'youtility_search')
       AND pg_has_role(current_user, 'youtility_search', 'MEMBER') THEN
        ALTER FUNCTION yt_sites_near(double precision, double precision, double precision, integer) OWNER TO youtility_search;
        ALTER FUNCTION yt_sites_covering(double precision, double precision, integer) OWNER TO youtility_search;
    END IF;
END
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS yt_sites_near(double precision, double precision, double precision, integer);
DROP FUNCTION IF EXISTS yt_sites_covering(double precision, double precision, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("sites", "0002_site_search"), ("core", "0003_search_ids_function")]

    operations = [migrations.RunSQL(SPATIAL, reverse_sql=REVERSE)]
