"""Serializers of the helpdesk API: they parse and render; the services check everything."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import cleaning
from apps.core.api.fields import POINT_SCHEMA, PointField
from apps.core.errors import DomainError
from apps.core.models import Attachment
from apps.helpdesk.models import EscalationRule, SlaPolicy, Ticket, TicketComment, TicketEvent
from apps.helpdesk.services import TRANSITIONS


def _id(source: str, help_text: str, **kwargs: Any) -> serializers.IntegerField:
    # Read from ``<name>_id`` (no query per row); handed to the services under that key.
    return serializers.IntegerField(source=source, allow_null=True, required=False, help_text=help_text, **kwargs)


def _text(help_text: str, **kwargs: Any) -> serializers.CharField:
    # Length and content are the service's to check, so its error codes reach the client.
    return serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=help_text, **kwargs)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as the phone and the console read it."""

    site = serializers.IntegerField(source="site_id", read_only=True)
    site_code = serializers.CharField(source="site.code", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    category = _id("category_id", "Id of a TICKET_CATEGORY lookup.", read_only=True)
    category_name = serializers.SerializerMethodField()
    raised_by = _id("raised_by_id", "Who raised it (none for system tickets).", read_only=True)
    assignee_person = _id("assignee_person_id", "Assigned person.", read_only=True)
    assignee_team = _id("assignee_team_id", "Assigned team.", read_only=True)
    assignee_name = serializers.SerializerMethodField()
    next_statuses = serializers.SerializerMethodField(help_text="Statuses the ticket may move to now.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "uuid",
            "number",
            "site",
            "site_code",
            "site_name",
            "category",
            "category_name",
            "priority",
            "title",
            "description",
            "status",
            "next_statuses",
            "source",
            "raised_by",
            "assignee_person",
            "assignee_team",
            "assignee_name",
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
        read_only_fields = fields

    def get_category_name(self, ticket: Ticket) -> str | None:
        return ticket.category.name if ticket.category is not None else None

    def get_assignee_name(self, ticket: Ticket) -> str | None:
        person, team = ticket.assignee_person, ticket.assignee_team
        return person.name if person is not None else team.name if team is not None else None

    def get_next_statuses(self, ticket: Ticket) -> list[str]:
        return list(TRANSITIONS[ticket.status])


@extend_schema_field(POINT_SCHEMA)
class MultipartPointField(PointField):
    """A GeoJSON Point as an object (JSON) or as JSON text (a multipart form field)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = cleaning.loads(data)
            except cleaning.MalformedJSON as exc:
                raise serializers.ValidationError("A GeoJSON Point object.", code="invalid_geojson") from exc
            except DomainError as exc:
                raise serializers.ValidationError(exc.message, code=exc.code) from exc
        return super().to_internal_value(data)


class TicketCreateSerializer(serializers.Serializer):
    """Raise a ticket: JSON, or multipart with up to ``TICKET_MAX_PHOTOS_PER_REQUEST`` ``photos``."""

    uuid = serializers.UUIDField(
        required=False, help_text="Client-generated id: sending the same ticket again returns it (200)."
    )
    site = serializers.IntegerField(help_text="Id of a site the caller may see.")
    title = _text("At most 200 characters.")
    description = _text("At most 4000 characters.", required=False, default="")
    category = serializers.IntegerField(allow_null=True, required=False, help_text="Id of a TICKET_CATEGORY lookup.")
    priority = serializers.CharField(required=False, default="MEDIUM", help_text="LOW, MEDIUM, HIGH or URGENT.")
    assignee_person = serializers.IntegerField(allow_null=True, required=False, help_text="Handlers only.")
    assignee_team = serializers.IntegerField(allow_null=True, required=False, help_text="Handlers only.")
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        write_only=True,  # stored as the ticket's attachments (/tickets/{id}/attachments/), never echoed
        help_text=f"JPEG, PNG or WebP photos (multipart), at most {settings.TICKET_MAX_PHOTOS_PER_REQUEST}.",
    )
    point = MultipartPointField(required=False, allow_null=True, help_text="Where the photos were taken.")

    def service_fields(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.validated_data)
        for name in ("site", "category", "assignee_person", "assignee_team"):
            if name in data:
                data[f"{name}_id"] = data.pop(name)
        return data


class TicketUpdateSerializer(serializers.Serializer):
    """The fields PATCH changes; status, assignee and files have their own routes."""

    title = _text("At most 200 characters.", required=False)
    description = _text("At most 4000 characters.", required=False)
    category = serializers.IntegerField(allow_null=True, required=False, help_text="Id of a TICKET_CATEGORY lookup.")
    priority = serializers.CharField(required=False, help_text="LOW, MEDIUM, HIGH or URGENT.")

    def service_fields(self) -> dict[str, Any]:
        return {"category_id" if k == "category" else k: v for k, v in self.validated_data.items()}


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="The new status: OPEN, ONHOLD, RESOLVED, CLOSED or CANCELLED.")
    note = _text("Why, at most 4000 characters; kept in the history.", required=False, default="")


class AssignSerializer(serializers.Serializer):
    person = serializers.IntegerField(allow_null=True, required=False, default=None)
    team = serializers.IntegerField(allow_null=True, required=False, default=None)


class CommentSerializer(serializers.ModelSerializer):
    author = _id("author_id", "Who wrote it.", read_only=True)
    author_name = serializers.SerializerMethodField()
    body = _text("At most 4000 characters.")

    class Meta:
        model = TicketComment
        fields = ["id", "uuid", "body", "author", "author_name", "created_at"]
        read_only_fields = ["id", "uuid", "author", "author_name", "created_at"]

    def get_author_name(self, comment: TicketComment) -> str | None:
        return comment.author.name if comment.author is not None else None


class AttachmentSerializer(serializers.ModelSerializer):
    point = PointField(read_only=True)
    uploaded_by = _id("uploaded_by_id", "Who uploaded it.", read_only=True)
    url = serializers.SerializerMethodField(help_text="Where to download the file.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "uuid",
            "kind",
            "name",
            "content_type",
            "size",
            "sha256",
            "point",
            "uploaded_by",
            "created_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        return reverse("ticket-attachment-file", args=[attachment.owner_id, attachment.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    kind = serializers.CharField(
        required=False, default=Attachment.Kind.PHOTO, help_text="PHOTO (default), SIGNATURE, AUDIO, VIDEO or DOCUMENT."
    )
    point = MultipartPointField(required=False, allow_null=True, help_text="Where it was taken.")


class HistorySerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    actor = _id("actor_id", "Who (none: the system).", read_only=True)
    actor_name = serializers.SerializerMethodField()
    # "from" is a Python keyword, so the two value fields are declared through the namespace.
    locals()["from"] = serializers.JSONField(source="old_value", help_text="Value before (for CHANGED).")
    locals()["to"] = serializers.JSONField(source="new_value", help_text="Value after.")
    comment = _id("comment_id", "The comment, for COMMENTED.", read_only=True)
    attachment = _id("attachment_id", "The file, for ATTACHED.", read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "at", "kind", "field", "from", "to", "actor", "actor_name", "note", "comment", "attachment"]
        read_only_fields = fields

    def get_actor_name(self, event: TicketEvent) -> str | None:
        return event.actor.name if event.actor is not None else None


class EscalationRuleSerializer(serializers.ModelSerializer):
    """One level of a category's escalation matrix (no category: the default matrix)."""

    category = _id("category_id", "Id of a TICKET_CATEGORY lookup; null for the default matrix.")
    level = serializers.IntegerField(help_text="1-10: the level a ticket reaches through this rule.")
    wait_minutes = serializers.IntegerField(help_text="Minutes at the previous level before this one applies.")
    assignee_person = _id("assignee_person_id", "Person the ticket is reassigned to.")
    assignee_team = _id("assignee_team_id", "Team the ticket is reassigned to.")
    notify_people = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Person ids e-mailed."
    )
    notify_teams = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Team ids e-mailed."
    )

    class Meta:
        model = EscalationRule
        fields = [
            "id",
            "uuid",
            "category",
            "level",
            "wait_minutes",
            "assignee_person",
            "assignee_team",
            "notify_people",
            "notify_teams",
            "is_active",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "uuid", "version", "created_at", "modified_at"]

    def to_representation(self, rule: EscalationRule) -> dict[str, Any]:
        data = super().to_representation(rule)
        recipients = list(rule.recipients.all())
        data["notify_people"] = sorted(row.person_id for row in recipients if row.person_id is not None)
        data["notify_teams"] = sorted(row.team_id for row in recipients if row.team_id is not None)
        return data

    def service_fields(self) -> dict[str, Any]:
        return dict(self.validated_data)


class SlaPolicySerializer(serializers.ModelSerializer):
    """How long tickets of a category (null: the default) and priority may take to resolve."""

    category = _id("category_id", "Id of a TICKET_CATEGORY lookup; null for the default policy.")
    priority = serializers.CharField(help_text="LOW, MEDIUM, HIGH or URGENT.")
    resolve_within_minutes = serializers.IntegerField(help_text="Minutes from creation to the due time.")

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "uuid",
            "category",
            "priority",
            "resolve_within_minutes",
            "version",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "uuid", "version", "created_at", "modified_at"]

    def service_fields(self) -> dict[str, Any]:
        return dict(self.validated_data)
