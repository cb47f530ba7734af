from django.contrib.postgres.operations import BtreeGinExtension, UnaccentExtension
from django.db import migrations

# unaccent() is STABLE (it reads a dictionary), so it cannot appear in an index. This
# wrapper names the dictionary explicitly and is declared IMMUTABLE, the usual way to
# index accent-insensitive text.
IMMUTABLE_UNACCENT = """
CREATE OR REPLACE FUNCTION yt_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
"""


class Migration(migrations.Migration):
    """Extensions and functions for autocomplete: case- and accent-insensitive substring search."""

    dependencies = [("core", "0001_initial")]

    operations = [
        UnaccentExtension(),
        BtreeGinExtension(),
        migrations.RunSQL(IMMUTABLE_UNACCENT, reverse_sql="DROP FUNCTION IF EXISTS yt_unaccent(text);"),
    ]
