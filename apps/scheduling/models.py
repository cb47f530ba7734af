"""Schedules (recurring definitions of work), the jobs they become, and PPM reminders.

A ``Schedule`` says what is to be done, where, by whom and when (a cron expression in
the site's time zone). The generation run (``generation.py``) expands every active
schedule into ``Job`` rows for a rolling window; a tour becomes one parent job plus one
child job per stop. The auto-close run (``autoclose.py``) closes expired jobs that were
not done. Writes go through ``services``; nothing here holds a business rule.

The job table is the hottest table of the product (hundreds of thousands of rows a day
for a large tenant), so its indexes are chosen, not defaulted: foreign keys nobody
filters by carry no index of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.core.models import TenantModel


class Kind(models.TextChoices):
    TASK = "TASK", "Task"
    INTERNAL_TOUR = "INTERNAL_TOUR", "Internal tour"
    EXTERNAL_TOUR = "EXTERNAL_TOUR", "External tour"
    PPM = "PPM", "Preventive maintenance"
    SITE_REPORT = "SITE_REPORT", "Site report"


TOUR_KINDS = (Kind.INTERNAL_TOUR, Kind.EXTERNAL_TOUR)


class Priority(models.TextChoices):
    LOW = "LOW", "Low"
    MEDIUM = "MEDIUM", "Medium"
    HIGH = "HIGH", "High"


class ScanType(models.TextChoices):
    QR = "QR", "QR code"
    NFC = "NFC", "NFC tag"
    GPS = "GPS", "GPS position"
    SKIP = "SKIP", "No scan"


class Schedule(TenantModel):
    """A recurring definition of work.

    Timing: ``cron`` (five fields) is evaluated in the site's time zone (an external
    tour's: the tenant's) between ``valid_from`` and ``valid_until``. A job planned at
    ``plan_at`` lasts ``duration_minutes`` and expires ``grace_minutes`` after its planned
    end. A dynamic schedule has no cron: completing one instance creates the next.

    Tours: an internal tour's stops are its ``ScheduleStop`` rows (checkpoints of the
    site); an external tour visits the sites of ``site_group`` (in member order, or a
    random order reproducible per occurrence), ``rounds`` times with ``break_minutes``
    between rounds, each visit lasting ``duration_minutes`` and ``travel_minutes`` apart.

    On a miss: a TOUR_MISSED/CHECKPOINT_MISSED/TASK_MISSED alert always; an e-mail to the
    site's in-charge and a ticket when ``email_on_miss``/``ticket_on_miss`` say so (null:
    the tenant's default for the kind, ``Tenant.settings["scheduling"]["on_miss"]``).

    ``generated_until`` is how far jobs exist; an edit resets it so the next run plans the
    new future. Schedules are disabled (``is_active``), never deleted: jobs point at them.
    """

    changelog_ignored = ("generated_until",)  # planning bookkeeping, moved by every generation run

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
        help_text="Where the work is; empty only for external tours.",
    )
    site_group = models.ForeignKey(
        "sites.SiteGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
        help_text="The route of an external tour.",
    )
    cron = models.CharField(max_length=120, blank=True, help_text="Five-field cron; empty for dynamic tours.")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=30)
    grace_minutes = models.PositiveIntegerField(default=15)
    assignee_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="schedules"
    )
    assignee_team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="schedules"
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    scan_type = models.CharField(max_length=8, choices=ScanType.choices, default=ScanType.QR)
    checklist = models.ForeignKey(
        "checklists.Checklist", null=True, blank=True, on_delete=models.PROTECT, related_name="schedules"
    )
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="schedules")
    is_dynamic = models.BooleanField(default=False)
    random_order = models.BooleanField(default=False)
    rounds = models.PositiveSmallIntegerField(default=1)
    break_minutes = models.PositiveIntegerField(default=0)
    travel_minutes = models.PositiveIntegerField(default=0)
    reminder_offsets = ArrayField(
        models.PositiveIntegerField(),
        default=list,
        blank=True,
        help_text="PPM: minutes before the plan time at which reminders go out.",
    )
    notify_person_ids = ArrayField(
        models.BigIntegerField(),
        default=list,
        blank=True,
        help_text="People reminded besides the assignee (PPM).",
    )
    email_on_miss = models.BooleanField(null=True, blank=True)
    ticket_on_miss = models.BooleanField(null=True, blank=True)
    ticket_category = models.ForeignKey(
        "tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    generated_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(assignee_person__isnull=True) | Q(assignee_team__isnull=True),
                name="scheduling_schedule_one_assignee",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="scheduling_schedule_validity",
            ),
            models.CheckConstraint(condition=Q(rounds__gte=1, rounds__lte=3), name="scheduling_schedule_rounds"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "generated_until"],
                condition=Q(is_active=True),
                name="scheduling_schedule_due",
            ),
        ]
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ScheduleStop(TenantModel):
    """One stop of an internal tour: a checkpoint of the tour's site, in ``position`` order.

    The stop is planned ``offset_minutes`` after the previous stop's planned end (the
    first: after the occurrence), lasts ``duration_minutes`` and expires ``grace_minutes``
    after its planned end; empty values take the schedule's.
    """

    changelog_related = ("schedule",)

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveIntegerField()
    checkpoint = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey(
        "checklists.Checklist", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offset_minutes = models.PositiveIntegerField(default=0)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    grace_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "schedule", "position"], name="scheduling_stop_position"),
        ]
        ordering = ["schedule", "position"]


class Job(TenantModel):
    """One dated instance of a schedule (or an ad-hoc job): what a phone shows and a guard does.

    A scheduled job is identified by (schedule, ``occurrence_at``, ``seq``): the cron
    occurrence it was planned for and its place in a tour (0 for the task or the tour
    itself, 1.. for the stops in order). The unique constraint on those makes generation
    idempotent under re-runs and concurrent workers. ``checklist_version`` is the version
    in force when the job was planned; later checklist edits do not change it.

    Status: ASSIGNED -> INPROGRESS -> COMPLETED; past ``expires_at`` the auto-close run
    makes it AUTOCLOSED, or PARTIALLY_COMPLETED for a tour with some stops done, and sets
    ``miss_pending`` until the miss has been reported (alert, e-mail, ticket).
    """

    # A stop shows in its tour's history, a tour or task in its schedule's.
    changelog_related = ("parent", "schedule")
    changelog_ignored = ("miss_pending",)  # the miss report's to-do flag, set and cleared in bulk

    class Kind(models.TextChoices):
        TASK = "TASK", "Task"
        INTERNAL_TOUR = "INTERNAL_TOUR", "Internal tour"
        EXTERNAL_TOUR = "EXTERNAL_TOUR", "External tour"
        PPM = "PPM", "Preventive maintenance"
        SITE_REPORT = "SITE_REPORT", "Site report"
        STOP = "STOP", "Tour stop"

    class Status(models.TextChoices):
        ASSIGNED = "ASSIGNED", "Assigned"
        INPROGRESS = "INPROGRESS", "In progress"
        COMPLETED = "COMPLETED", "Completed"
        PARTIALLY_COMPLETED = "PARTIALLY_COMPLETED", "Partially completed"
        AUTOCLOSED = "AUTOCLOSED", "Auto-closed"

    class Origin(models.TextChoices):
        SCHEDULED = "SCHEDULED", "Scheduled"
        DYNAMIC = "DYNAMIC", "Dynamic"
        AD_HOC = "AD_HOC", "Ad hoc"

    OPEN_STATUSES = (Status.ASSIGNED, Status.INPROGRESS)
    DONE_STATUSES = (Status.COMPLETED,)
    MISSED_STATUSES = (Status.AUTOCLOSED, Status.PARTIALLY_COMPLETED)

    # Not indexed on their own: the audit columns of the hottest table.
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

    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    occurrence_at = models.DateTimeField(null=True, blank=True, help_text="The cron occurrence this job is for.")
    seq = models.PositiveSmallIntegerField(default=0, help_text="0: the task or tour; 1..: the tour's stops.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="stops", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.SCHEDULED)
    title = models.CharField(max_length=200)
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="jobs", db_index=False)
    asset = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
        db_index=False,
        help_text="The checkpoint of a stop, the asset of a PPM job.",
    )
    checklist_version = models.ForeignKey(
        "checklists.ChecklistVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assignee_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    assignee_team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    scan_type = models.CharField(max_length=8, choices=ScanType.choices, default=ScanType.QR)
    plan_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # No spatial indexes: nothing searches jobs by place, and every close would pay for them.
    point = gis.PointField(
        srid=4326, geography=True, null=True, blank=True, spatial_index=False, help_text="Where it was performed."
    )
    journey = gis.LineStringField(srid=4326, geography=True, null=True, blank=True, spatial_index=False)
    alert = models.BooleanField(default=False, help_text="An answer was out of range.")
    deviation = models.BooleanField(default=False, help_text="Done out of order or out of place.")
    remarks = models.TextField(blank=True)
    miss_pending = models.BooleanField(
        default=False, help_text="Auto-closed; its alert, e-mail and ticket are not yet raised."
    )

    class Meta(TenantModel.Meta):
        constraints = [
            # A client uuid is unique per tenant where a client chose it: jobs created on a
            # phone (ad hoc). Planned jobs take theirs from the database; indexing hundreds
            # of thousands of random keys a day for them would slow every insert and close.
            models.UniqueConstraint(
                fields=["tenant", "uuid"], condition=Q(origin="AD_HOC"), name="scheduling_job_tenant_uuid"
            ),
            models.UniqueConstraint(
                fields=["tenant", "schedule", "occurrence_at", "seq"],
                condition=Q(schedule__isnull=False),
                name="scheduling_job_occurrence",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gte=models.F("plan_at")), name="scheduling_job_expires_after_plan"
            ),
        ]
        indexes = [
            # Every index here is paid for by every planned job and again by every close, so
            # only those a query needs: a person's jobs are found through their sites' day.
            models.Index(fields=["tenant", "site", "plan_at"], name="scheduling_job_site_plan"),
            # Without the tenant in front: PostgreSQL's foreign-key check on every deleted
            # job looks up ``parent_id = $1`` alone (and row-level security does not apply to it).
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="scheduling_job_parent"),
            models.Index(
                fields=["tenant", "expires_at"],
                condition=Q(status__in=["ASSIGNED", "INPROGRESS"]),
                name="scheduling_job_open_expiry",
            ),
            models.Index(fields=["tenant", "id"], condition=Q(miss_pending=True), name="scheduling_job_miss_pending"),
        ]
        ordering = ["plan_at", "seq", "pk"]

    def __str__(self) -> str:
        return self.title


class Reminder(TenantModel):
    """A due notice for a maintenance job, sent once at ``remind_at`` (not early).

    One per (job, offset); ``status`` records what happened: PENDING until the reminder
    run sends it (SENT, with the number of people notified), SKIPPED when the job was
    done, started or removed before the time came.
    """

    changelog_related = ("job",)

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        SKIPPED = "SKIPPED", "Skipped"
        FAILED = "FAILED", "Failed"

    # Indexed on its own for the foreign-key check of every deleted job (``job_id = $1``).
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField()
    remind_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "job", "offset_minutes"], name="scheduling_reminder_job_offset"),
        ]
        indexes = [
            models.Index(fields=["tenant", "remind_at"], condition=Q(status="PENDING"), name="scheduling_reminder_due"),
        ]
        ordering = ["remind_at", "pk"]
