import django.db.models.deletion
from django.db import migrations, models

import apps.core.models


class Migration(migrations.Migration):
    """Sections and items named their checklist-version foreign key ``version``, which
    replaced TenantModel's sync ``version`` column; rename it and restore the column."""

    dependencies = [("checklists", "0002_question_search")]

    operations = [
        migrations.RenameField("checklistsection", "version", "checklist_version"),
        migrations.RenameField("checklistitem", "version", "checklist_version"),
        migrations.AddField("checklistsection", "version", apps.core.models.SyncVersionField(default=0, editable=False)),
        migrations.AddField("checklistitem", "version", apps.core.models.SyncVersionField(default=0, editable=False)),
        migrations.AlterField(
            "checklistsection",
            "checklist_version",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="sections", to="checklists.checklistversion"
            ),
        ),
        migrations.AlterField(
            "checklistitem",
            "checklist_version",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="items", to="checklists.checklistversion"
            ),
        ),
        migrations.AlterModelOptions("checklistsection", {"ordering": ["checklist_version", "position"]}),
        migrations.AlterModelOptions("checklistitem", {"ordering": ["checklist_version", "position"]}),
    ]
