"""Private networks become the operator's decision; reply bodies are no longer kept by default.

The per-webhook ``allow_private_network`` switch goes: webhooks that had it simply lose it
(the operator's ``WEBHOOK_ALLOWED_PRIVATE_NETWORKS`` decides from now on). Reply excerpts
recorded until now may hold what an internal service answered through such a webhook, so
they are blanked; deliveries keep their status, timing, attempts and error class.
"""

from typing import Any

from django.db import migrations, models

from apps.core import tenancy


def blank_excerpts(apps: Any, schema_editor: Any) -> None:
    # Every tenant's rows: row-level security applies to the table owner too (FORCE).
    alias = schema_editor.connection.alias
    delivery = apps.get_model("notifications", "WebhookDelivery")
    with tenancy.system_context("blank webhook reply excerpts", db_alias=alias):
        delivery.objects.using(alias).exclude(response_excerpt="").update(response_excerpt="")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="webhook", name="allow_private_network"),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="response_excerpt",
            field=models.CharField(
                blank=True,
                help_text="The start of the last response body, kept only when the operator enables it.",
                max_length=1024,
            ),
        ),
        migrations.RunPython(blank_excerpts, migrations.RunPython.noop),
    ]
