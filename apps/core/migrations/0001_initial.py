from django.contrib.postgres.operations import CreateExtension, TrigramExtension
from django.db import migrations

VERSION_FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS youtility_sync_version;
CREATE OR REPLACE FUNCTION youtility_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('youtility_sync_version');
    RETURN NEW;
END
$$;
"""


class Migration(migrations.Migration):
    """Extensions and the sync-version machinery that ``apps.core.rls`` attaches to tables."""

    initial = True
    dependencies: list = []

    operations = [
        CreateExtension("postgis"),
        TrigramExtension(),
        migrations.RunSQL(
            VERSION_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS youtility_bump_version(); DROP SEQUENCE IF EXISTS youtility_sync_version;",
        ),
    ]
