"""NOC alerts, their timelines, and the maintenance windows that silence a site.

An ``Alert`` is one open problem, not one message: every producer raises through
``services.raise_alert``, and a raise whose dedupe key matches an open alert counts a
repeat on that row (``occurrences``, ``last_seen_at``) instead of adding another. The
partial unique constraint on (tenant, dedupe key) over the open statuses makes that hold
under concurrency. Alerts are never deleted: the timeline (``AlertEvent``) is the record
of who did what and when.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import F, Q

from apps.core.models import TenantModel

OPEN_DEDUPE_CONSTRAINT = "noc_alert_open_dedupe_key"


class Alert(TenantModel):
    """An alarm for the operations centre: what, how bad, where, and where it stands.

    ``escalate_at`` is when the alert escalates if nobody acknowledges it by then (null
    when it will not: acknowledged, assigned, resolved, suppressed, LOW, or at the top
    level). ``source`` is the object that caused it (a job, a ticket, a device...).
    """

    class Type(models.TextChoices):
        SOS = "SOS", "SOS"
        PANIC = "PANIC", "Panic button"
        GEOFENCE_BREACH = "GEOFENCE_BREACH", "Geofence breach"
        TOUR_MISSED = "TOUR_MISSED", "Tour missed"
        CHECKPOINT_MISSED = "CHECKPOINT_MISSED", "Checkpoint missed"
        TASK_MISSED = "TASK_MISSED", "Task missed"
        READING_OUT_OF_RANGE = "READING_OUT_OF_RANGE", "Reading out of range"
        ATTENDANCE_MISSING = "ATTENDANCE_MISSING", "Attendance missing"
        SLA_BREACH = "SLA_BREACH", "SLA breach"
        TICKET_ESCALATED = "TICKET_ESCALATED", "Ticket escalated"
        DEVICE_OFFLINE = "DEVICE_OFFLINE", "Device offline"
        LONE_WORKER_OVERDUE = "LONE_WORKER_OVERDUE", "Lone worker overdue"

    class Severity(models.TextChoices):
        LOW = "LOW", "Low"
        MEDIUM = "MEDIUM", "Medium"
        HIGH = "HIGH", "High"
        CRITICAL = "CRITICAL", "Critical"

    class Status(models.TextChoices):
        NEW = "NEW", "New"
        ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
        ASSIGNED = "ASSIGNED", "Assigned"
        ESCALATED = "ESCALATED", "Escalated"
        RESOLVED = "RESOLVED", "Resolved"
        SUPPRESSED = "SUPPRESSED", "Suppressed (maintenance)"

    #: Statuses in which a raise with the same dedupe key counts a repeat on this row.
    #: A suppressed alert stays open so that a device repeating itself during a
    #: maintenance window leaves one row, not hundreds.
    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.ASSIGNED, Status.ESCALATED, Status.SUPPRESSED)
    #: Statuses in which nobody has acknowledged the alert yet: the escalation clock runs.
    UNACKNOWLEDGED_STATUSES = (Status.NEW, Status.ESCALATED)
    SEVERITY_RANK: dict[str, int] = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}

    type = models.CharField(max_length=32, choices=Type.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    title = models.CharField(max_length=200)
    site = models.ForeignKey(
        "sites.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts", db_index=False
    )
    details = models.JSONField(default=dict, blank=True, help_text="What the producer knows: readings, positions...")
    source_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    dedupe_key = models.CharField(max_length=200, help_text="Raises with the same key while open are one alert.")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalate_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_alerts"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    changelog_unmasked = ("dedupe_key",)  # what makes raises one, not a secret

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=Q(status__in=["NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED", "SUPPRESSED"]),
                name=OPEN_DEDUPE_CONSTRAINT,
            ),
            models.CheckConstraint(condition=Q(last_seen_at__gte=F("first_seen_at")), name="noc_alert_seen_order"),
        ]
        indexes = [
            # The dashboard: open alerts of some sites, newest first.
            models.Index(fields=["tenant", "site", "status", "-first_seen_at"], name="noc_alert_site_status"),
            models.Index(fields=["tenant", "-first_seen_at"], name="noc_alert_first_seen"),
            # The escalation task: due alerts only.
            models.Index(
                fields=["tenant", "escalate_at"], condition=Q(escalate_at__isnull=False), name="noc_alert_escalate_at"
            ),
            models.Index(fields=["tenant", "source_type", "source_id"], name="noc_alert_source"),
        ]
        ordering = ["-first_seen_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_severity_display()} {self.title}"


class AlertEvent(TenantModel):
    """One entry of an alert's timeline: what happened, who did it (null for the system), when.

    ``from_status``/``to_status`` are equal when the status did not change (a repeat, a
    comment, a reassignment); ``data`` carries the specifics (assignee, level, count).
    """

    changelog = False  # the alert's timeline: a record itself

    class Kind(models.TextChoices):
        CREATED = "CREATED", "Created"
        REPEATED = "REPEATED", "Repeated"
        ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
        ASSIGNED = "ASSIGNED", "Assigned"
        ESCALATED = "ESCALATED", "Escalated"
        RESOLVED = "RESOLVED", "Resolved"
        SUPPRESSED = "SUPPRESSED", "Suppressed"
        COMMENTED = "COMMENTED", "Commented"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["tenant", "alert", "at"], name="noc_alertevent_alert_at")]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class MaintenanceWindow(TenantModel):
    """A period (``starts_at`` inclusive, ``ends_at`` exclusive) in which alerts raised at
    ``site`` are recorded as SUPPRESSED instead of sounding on the dashboard."""

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="maintenance_windows", db_index=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="noc_maintenancewindow_order"),
        ]
        indexes = [models.Index(fields=["tenant", "site", "ends_at"], name="noc_window_site_ends")]
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M})"
