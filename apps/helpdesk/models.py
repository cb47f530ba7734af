"""Tickets, their comments and history, the escalation matrix and SLA policies.

Attachments of a ticket are ``apps.core.models.Attachment`` rows owned by the ticket.
Every write goes through ``services``; nothing here holds a business rule.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.db import models
from django.db.models import Q

from apps.core.models import TenantModel


class Priority(models.TextChoices):
    LOW = "LOW", "Low"
    MEDIUM = "MEDIUM", "Medium"
    HIGH = "HIGH", "High"
    URGENT = "URGENT", "Urgent"


class Status(models.TextChoices):
    NEW = "NEW", "New"
    OPEN = "OPEN", "Open"
    ONHOLD = "ONHOLD", "On hold"
    RESOLVED = "RESOLVED", "Resolved"
    CLOSED = "CLOSED", "Closed"
    CANCELLED = "CANCELLED", "Cancelled"


#: Statuses in which a ticket is still being worked: deduplication and SLA look at these.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.ONHOLD)
#: Statuses in which a ticket waits for someone to act: the escalation matrix applies.
ESCALATING_STATUSES = (Status.NEW, Status.OPEN)
#: Statuses after which nothing about the ticket changes any more.
FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)


class SiteTicketCounter(TenantModel):
    """The last ticket number issued at a site, locked while the next one is taken."""

    changelog = False  # bookkeeping of ticket numbers: each ticket's creation is logged

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "site"], name="helpdesk_counter_tenant_site"),
        ]


class Ticket(TenantModel):
    """A request or incident at a site, numbered ``<SITECODE>#<n>`` per site without gaps.

    Raised by a person (source USER) or by the system (source SYSTEM: auto-close, alerts),
    worked through the status machine in ``services.TRANSITIONS``, assigned to a person or
    a team, escalated by the matrix (``escalation_level`` counted from ``level_since``) and
    due by its SLA (``sla_due_at``). A system ticket carries the object that caused it
    (``source_object``) and/or a ``dedupe_key``: while it is active, raising the same
    problem again returns it instead of a new ticket.
    """

    class Source(models.TextChoices):
        SYSTEM = "SYSTEM", "System"
        USER = "USER", "User"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="tickets")
    seq = models.PositiveIntegerField(help_text="Number within the site.")
    number = models.CharField(max_length=80, help_text="<SITECODE>#<n>, as issued.")
    category = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.USER)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_object = GenericForeignKey("source_type", "source_id")
    dedupe_key = models.CharField(max_length=200, blank=True)
    assignee_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee_team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    level_since = models.DateTimeField(help_text="When the ticket reached its escalation level (or was reopened).")
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    attachments = GenericRelation("core.Attachment", content_type_field="owner_type", object_id_field="owner_id")

    changelog_unmasked = ("dedupe_key",)  # what makes raises one, not a secret

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "site", "seq"], name="helpdesk_ticket_site_seq"),
            models.UniqueConstraint(
                fields=["tenant", "source_type", "source_id"],
                condition=Q(source_id__isnull=False, status__in=ACTIVE_STATUSES),
                name="helpdesk_ticket_active_source",
            ),
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=~Q(dedupe_key="") & Q(status__in=ACTIVE_STATUSES),
                name="helpdesk_ticket_active_dedupe",
            ),
            models.CheckConstraint(
                condition=Q(assignee_person__isnull=True) | Q(assignee_team__isnull=True),
                name="helpdesk_ticket_one_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "site", "status"], name="helpdesk_ticket_site_status"),
            models.Index(fields=["tenant", "number"], name="helpdesk_ticket_number"),
            models.Index(fields=["tenant", "created_at"], name="helpdesk_ticket_created"),
            models.Index(
                fields=["tenant", "escalation_level", "level_since"],
                condition=Q(status__in=ESCALATING_STATUSES),
                name="helpdesk_ticket_escalating",
            ),
            models.Index(
                fields=["tenant", "sla_due_at"],
                condition=Q(sla_breached_at__isnull=True, status__in=ACTIVE_STATUSES),
                name="helpdesk_ticket_sla_watch",
            ),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TicketComment(TenantModel):
    """A comment on a ticket; never edited (the history refers to it)."""

    changelog_related = ("ticket",)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["tenant", "ticket", "created_at"], name="helpdesk_comment_ticket")]
        ordering = ["created_at", "pk"]


class TicketEvent(TenantModel):
    """One line of a ticket's history: who changed which field from what to what, when
    (``created_at``); or a comment, an attachment, an escalation or an SLA breach.

    ``actor`` is empty for the system (escalation, SLA watch, system tickets).
    """

    changelog = False  # the ticket's own history: a record itself

    class Kind(models.TextChoices):
        CREATED = "CREATED", "Created"
        CHANGED = "CHANGED", "Changed"
        COMMENTED = "COMMENTED", "Commented"
        ATTACHED = "ATTACHED", "Attached"
        ESCALATED = "ESCALATED", "Escalated"
        SLA_BREACHED = "SLA_BREACHED", "SLA breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    field = models.CharField(max_length=32, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    comment = models.ForeignKey(TicketComment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    attachment = models.ForeignKey("core.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["tenant", "ticket", "created_at"], name="helpdesk_event_ticket")]
        ordering = ["created_at", "pk"]


class EscalationRule(TenantModel):
    """One level of a category's escalation matrix.

    A ticket at level ``level - 1`` that has waited ``wait_minutes`` there is escalated to
    ``level``: reassigned to the rule's assignee (when it has one) and the rule's notify
    list is told. Rules without a category are the default matrix, used for tickets whose
    category has no rules of its own.
    """

    category = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    wait_minutes = models.PositiveIntegerField()
    assignee_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee_team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "category", "level"], nulls_distinct=False, name="helpdesk_rule_category_level"
            ),
            models.CheckConstraint(
                condition=Q(assignee_person__isnull=True) | Q(assignee_team__isnull=True),
                name="helpdesk_rule_one_assignee",
            ),
        ]
        ordering = ["category__name", "level"]

    def __str__(self) -> str:
        return f"{self.category.name if self.category else 'Default'} level {self.level}"


class EscalationRecipient(TenantModel):
    """A person or a team on an escalation rule's notify list."""

    changelog_related = ("rule",)

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(team__isnull=True))
                | (Q(person__isnull=True) & Q(team__isnull=False)),
                name="helpdesk_recipient_one_target",
            ),
            models.UniqueConstraint(
                fields=["tenant", "rule", "person"], condition=Q(person__isnull=False), name="helpdesk_recipient_person"
            ),
            models.UniqueConstraint(
                fields=["tenant", "rule", "team"], condition=Q(team__isnull=False), name="helpdesk_recipient_team"
            ),
        ]


class SlaPolicy(TenantModel):
    """How long a ticket of a category and priority may take to be resolved.

    A policy without a category is the default for that priority.
    """

    category = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8, choices=Priority.choices)
    resolve_within_minutes = models.PositiveIntegerField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "category", "priority"], nulls_distinct=False, name="helpdesk_sla_category_priority"
            ),
        ]
        ordering = ["category__name", "priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return (
            f"{self.category.name if self.category else 'Default'} {self.priority}: {self.resolve_within_minutes} min"
        )
