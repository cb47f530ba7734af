"""The change log: who changed which tenant-owned row, when, through which door, and how.

Entries are written by ``apps.audit.capture`` (every create, change and delete of a model
that keeps ``changelog = True``) and by ``apps.audit.services.record_bulk`` (one summary
per set-based write: generated, auto-closed or replaced jobs...). They are never edited;
the retention purge (``apps.audit.retention``) deletes them when they are old enough.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.context import Door
from apps.core.models import TenantModel

#: Longest ``object_repr`` kept; longer ones end in "…".
REPR_LENGTH = 200
#: Ids kept of the rows a bulk entry touched (the first ones, in id order).
BULK_IDS = 20


class Action(models.TextChoices):
    CREATE = "CREATE", "Created"
    UPDATE = "UPDATE", "Changed"
    DELETE = "DELETE", "Deleted"
    BULK_CREATE = "BULK_CREATE", "Created in bulk"
    BULK_UPDATE = "BULK_UPDATE", "Changed in bulk"
    BULK_DELETE = "BULK_DELETE", "Deleted in bulk"
    BULK_REPLACE = "BULK_REPLACE", "Replaced in bulk"


BULK_ACTIONS = (Action.BULK_CREATE, Action.BULK_UPDATE, Action.BULK_DELETE, Action.BULK_REPLACE)


class ChangeLog(TenantModel):
    """One change of one row (``object_id`` set), or one set-based write of many rows of a
    model (a bulk action: ``count`` rows, the first of them in ``object_ids``).

    ``changes`` is ``{field: [before, after]}`` with JSON-safe values (times in ISO 8601
    UTC, geometries as truncated WKT, foreign keys as ids) and secrets as "********".
    ``related_*`` names the object whose history also shows this entry (a person for a
    role assignment, a schedule for its stops and jobs), as NetBox's change log does.
    """

    changelog = False  # the log does not log itself
    sync_versioned = False  # never synced to a device; its version stays 0

    time = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person who acted, if a person did (kept as a label if they are deleted).",
    )
    actor_label = models.CharField(max_length=200, help_text="The login, or task:<name>, command:<name>, or system.")
    door = models.CharField(max_length=8, choices=Door.choices)
    request_id = models.CharField(max_length=128, blank=True, help_text="The correlation id of the request or task.")
    action = models.CharField(max_length=12, choices=Action.choices)
    object_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for a bulk entry.")
    object_repr = models.CharField(max_length=REPR_LENGTH, blank=True)
    related_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=1, help_text="Rows the entry covers (1 unless a bulk entry).")
    object_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True, help_text=f"A bulk entry's first {BULK_IDS} row ids."
    )

    # Not indexed on their own: ``actor`` says the same, and every write pays for each index.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )

    class Meta(TenantModel.Meta):
        indexes = [
            # The global list (newest first) and the retention purge (older than a cutoff).
            models.Index(fields=["tenant", "-time", "-id"], name="audit_changelog_recent"),
            # One object's history, and the entries that name it as their related object.
            models.Index(fields=["tenant", "object_type", "object_id", "-time"], name="audit_changelog_object"),
            models.Index(
                fields=["tenant", "related_type", "related_id", "-time"],
                condition=Q(related_id__isnull=False),
                name="audit_changelog_related",
            ),
        ]
        ordering = ["-time", "-id"]
        verbose_name = "change log entry"
        verbose_name_plural = "change log"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} by {self.actor_label}"

    @property
    def is_bulk(self) -> bool:
        return self.action in BULK_ACTIONS
