"""GraphQL types of tickets, their comments, files and history, the matrix and the SLA policies.

Nested lists (comments, attachments, history) are read from what the root resolver
prefetched (``prefetch.ticket_lookups``), so a list of tickets costs a fixed number of
queries whatever it selects.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.urls import reverse
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from apps.core.geo import to_geojson
from apps.core.graphql import SizedList
from apps.core.models import Attachment
from apps.helpdesk.models import EscalationRule, Priority, SlaPolicy, Status, Ticket, TicketComment, TicketEvent
from apps.helpdesk.services import TRANSITIONS

TicketStatus = graphene.Enum.from_enum(Status, name="TicketStatus", description="Where a ticket is in its workflow.")
TicketPriority = graphene.Enum.from_enum(Priority, name="TicketPriority", description="How urgent a ticket is.")
TicketSource = graphene.Enum.from_enum(Ticket.Source, name="TicketSource", description="Who raised a ticket.")
TicketEventKind = graphene.Enum.from_enum(
    TicketEvent.Kind, name="TicketEventKind", description="What a history line records."
)
AttachmentKind = graphene.Enum.from_enum(Attachment.Kind, name="AttachmentKind", description="What a file is.")


# A ticket's comments, attachments and history are not paged; the cost rule counts each at this many.
THREAD_COSTED = 10


class TicketCommentType(DjangoObjectType):
    """A comment on a ticket."""

    author_id = graphene.ID(description="Who wrote it.")
    author_name = graphene.String()

    class Meta:
        model = TicketComment
        fields = ["id", "uuid", "body", "created_at"]

    @staticmethod
    def resolve_author_id(root: TicketComment, info: Any) -> int | None:
        return root.author_id

    @staticmethod
    def resolve_author_name(root: TicketComment, info: Any) -> str | None:
        return root.author.name if root.author is not None else None


class TicketAttachmentType(DjangoObjectType):
    """A file of a ticket; ``url`` downloads it over REST with the same sign-in."""

    kind = graphene.Field(AttachmentKind, required=True)
    point = GenericScalar(description="GeoJSON Point where it was taken.")
    uploaded_by_id = graphene.ID()
    url = graphene.String(required=True)

    class Meta:
        model = Attachment
        fields = ["id", "uuid", "name", "content_type", "size", "sha256", "created_at"]

    @staticmethod
    def resolve_kind(root: Attachment, info: Any) -> str:
        return root.kind

    @staticmethod
    def resolve_point(root: Attachment, info: Any) -> dict[str, Any] | None:
        return to_geojson(root.point)

    @staticmethod
    def resolve_uploaded_by_id(root: Attachment, info: Any) -> int | None:
        return root.uploaded_by_id

    @staticmethod
    def resolve_url(root: Attachment, info: Any) -> str:
        return reverse("ticket-attachment-file", args=[root.owner_id, root.pk])


class TicketEventType(DjangoObjectType):
    """One line of a ticket's history."""

    kind = graphene.Field(TicketEventKind, required=True)
    old_value = GenericScalar(description="Value before (for CHANGED).")
    new_value = GenericScalar(description="Value after.")
    actor_id = graphene.ID(description="Who (null: the system).")
    actor_name = graphene.String()
    comment_id = graphene.ID()
    attachment_id = graphene.ID()

    class Meta:
        model = TicketEvent
        fields = ["id", "field", "note", "created_at"]

    @staticmethod
    def resolve_kind(root: TicketEvent, info: Any) -> str:
        return root.kind

    @staticmethod
    def resolve_actor_id(root: TicketEvent, info: Any) -> int | None:
        return root.actor_id

    @staticmethod
    def resolve_actor_name(root: TicketEvent, info: Any) -> str | None:
        return root.actor.name if root.actor is not None else None

    @staticmethod
    def resolve_comment_id(root: TicketEvent, info: Any) -> int | None:
        return root.comment_id

    @staticmethod
    def resolve_attachment_id(root: TicketEvent, info: Any) -> int | None:
        return root.attachment_id


class TicketType(DjangoObjectType):
    """A ticket the caller may see."""

    status = graphene.Field(TicketStatus, required=True)
    priority = graphene.Field(TicketPriority, required=True)
    source = graphene.Field(TicketSource, required=True)
    next_statuses = graphene.List(
        graphene.NonNull(TicketStatus), required=True, description="Statuses it may move to now."
    )
    site_id = graphene.ID(required=True)
    site_code = graphene.String(required=True)
    site_name = graphene.String(required=True)
    category_id = graphene.ID()
    category_name = graphene.String()
    raised_by_id = graphene.ID()
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    assignee_name = graphene.String()
    comments = SizedList(TicketCommentType, max_items=THREAD_COSTED, required=True, description="Oldest first.")
    attachments = SizedList(TicketAttachmentType, max_items=THREAD_COSTED, required=True, description="Oldest first.")
    history = SizedList(TicketEventType, max_items=THREAD_COSTED, required=True, description="Oldest first.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "uuid",
            "number",
            "title",
            "description",
            "escalation_level",
            "level_since",
            "sla_due_at",
            "sla_breached_at",
            "resolved_at",
            "closed_at",
            "version",
            "created_at",
            "modified_at",
        ]

    @staticmethod
    def resolve_status(root: Ticket, info: Any) -> str:
        return root.status

    @staticmethod
    def resolve_priority(root: Ticket, info: Any) -> str:
        return root.priority

    @staticmethod
    def resolve_source(root: Ticket, info: Any) -> str:
        return root.source

    @staticmethod
    def resolve_next_statuses(root: Ticket, info: Any) -> list[str]:
        return list(TRANSITIONS[root.status])

    @staticmethod
    def resolve_site_id(root: Ticket, info: Any) -> int:
        return root.site_id

    @staticmethod
    def resolve_site_code(root: Ticket, info: Any) -> str:
        return root.site.code

    @staticmethod
    def resolve_site_name(root: Ticket, info: Any) -> str:
        return root.site.name

    @staticmethod
    def resolve_category_id(root: Ticket, info: Any) -> int | None:
        return root.category_id

    @staticmethod
    def resolve_category_name(root: Ticket, info: Any) -> str | None:
        return root.category.name if root.category is not None else None

    @staticmethod
    def resolve_raised_by_id(root: Ticket, info: Any) -> int | None:
        return root.raised_by_id

    @staticmethod
    def resolve_assignee_person_id(root: Ticket, info: Any) -> int | None:
        return root.assignee_person_id

    @staticmethod
    def resolve_assignee_team_id(root: Ticket, info: Any) -> int | None:
        return root.assignee_team_id

    @staticmethod
    def resolve_assignee_name(root: Ticket, info: Any) -> str | None:
        person, team = root.assignee_person, root.assignee_team
        return person.name if person is not None else team.name if team is not None else None

    @staticmethod
    def resolve_comments(root: Ticket, info: Any) -> Any:
        return root.comments.all()

    @staticmethod
    def resolve_attachments(root: Ticket, info: Any) -> Any:
        return root.attachments.all()

    @staticmethod
    def resolve_history(root: Ticket, info: Any) -> Any:
        return root.events.all()


class EscalationRuleType(DjangoObjectType):
    """One level of a category's escalation matrix (no category: the default matrix)."""

    category_id = graphene.ID()
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    notify_people = graphene.List(graphene.NonNull(graphene.ID), required=True)
    notify_teams = graphene.List(graphene.NonNull(graphene.ID), required=True)

    class Meta:
        model = EscalationRule
        fields = ["id", "uuid", "level", "wait_minutes", "is_active", "version"]

    @staticmethod
    def resolve_category_id(root: EscalationRule, info: Any) -> int | None:
        return root.category_id

    @staticmethod
    def resolve_assignee_person_id(root: EscalationRule, info: Any) -> int | None:
        return root.assignee_person_id

    @staticmethod
    def resolve_assignee_team_id(root: EscalationRule, info: Any) -> int | None:
        return root.assignee_team_id

    @staticmethod
    def resolve_notify_people(root: EscalationRule, info: Any) -> list[int]:
        return sorted(row.person_id for row in root.recipients.all() if row.person_id is not None)

    @staticmethod
    def resolve_notify_teams(root: EscalationRule, info: Any) -> list[int]:
        return sorted(row.team_id for row in root.recipients.all() if row.team_id is not None)


class SlaPolicyType(DjangoObjectType):
    """Time to resolve tickets of a category (none: the default) and priority."""

    category_id = graphene.ID()
    priority = graphene.Field(TicketPriority, required=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "uuid", "resolve_within_minutes", "version"]

    @staticmethod
    def resolve_category_id(root: SlaPolicy, info: Any) -> int | None:
        return root.category_id

    @staticmethod
    def resolve_priority(root: SlaPolicy, info: Any) -> str:
        return root.priority
