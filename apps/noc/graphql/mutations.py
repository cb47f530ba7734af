"""Alert and maintenance-window mutations: check the capability, call the service, render.

Domain errors reach the client with their code in ``extensions.code`` (for example
``invalid_transition``, ``note_too_long``, ``unknown_assignee``).
"""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.graphql import require_capability
from apps.noc import selectors, services

from .queries import require_any
from .types import AlertType, MaintenanceWindowType

WINDOW_WRITERS = ("noc.manage", "sites.manage")
NOTE = "Free text, at most 2,000 characters."


class AcknowledgeAlert(graphene.Mutation):
    """NEW, ESCALATED or SUPPRESSED to ACKNOWLEDGED; stops escalation (needs noc.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String(description=NOTE)

    alert = graphene.Field(AlertType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, note: str = "") -> AcknowledgeAlert:
        user = require_capability(info, "noc.manage")
        alert = services.acknowledge_alert(user, selectors.get_alert_for(user, id), note=note or "")
        return AcknowledgeAlert(alert=selectors.get_alert_for(user, alert.pk, with_timeline=True))


class AssignAlert(graphene.Mutation):
    """Hand an open alert to a person who may see its site (needs noc.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        person_id = graphene.ID(required=True)
        note = graphene.String(description=NOTE)

    alert = graphene.Field(AlertType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, person_id: str, note: str = "") -> AssignAlert:
        user = require_capability(info, "noc.manage")
        alert = services.assign_alert(
            user, selectors.get_alert_for(user, id), assignee_id=selectors.parse_pk(person_id), note=note or ""
        )
        return AssignAlert(alert=selectors.get_alert_for(user, alert.pk, with_timeline=True))


class ResolveAlert(graphene.Mutation):
    """Close an open alert with a note (needs noc.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String(required=True, description=NOTE)

    alert = graphene.Field(AlertType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, note: str) -> ResolveAlert:
        user = require_capability(info, "noc.manage")
        alert = services.resolve_alert(user, selectors.get_alert_for(user, id), note=note)
        return ResolveAlert(alert=selectors.get_alert_for(user, alert.pk, with_timeline=True))


class CommentAlert(graphene.Mutation):
    """Add a note to an alert's timeline, in any status (needs noc.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String(required=True, description=NOTE)

    alert = graphene.Field(AlertType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, note: str) -> CommentAlert:
        user = require_capability(info, "noc.manage")
        alert = services.comment_alert(user, selectors.get_alert_for(user, id), note=note)
        return CommentAlert(alert=selectors.get_alert_for(user, alert.pk, with_timeline=True))


class MaintenanceWindowInput(graphene.InputObjectType):
    """Fields of a maintenance window; on update only the fields given change."""

    site_id = graphene.ID()
    starts_at = graphene.DateTime()
    ends_at = graphene.DateTime()
    reason = graphene.String(description="At most 500 characters.")


def _window_fields(data: Any) -> dict[str, Any]:
    return {name: data[name] for name in ("site_id", "starts_at", "ends_at", "reason") if name in data}


class CreateMaintenanceWindow(graphene.Mutation):
    """Silence alerts at one of the caller's sites for a while (needs noc.manage or sites.manage)."""

    class Arguments:
        input = MaintenanceWindowInput(required=True)

    maintenance_window = graphene.Field(MaintenanceWindowType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateMaintenanceWindow:
        user = require_any(info, WINDOW_WRITERS)
        window = services.create_maintenance_window(user, **_window_fields(input))
        return CreateMaintenanceWindow(maintenance_window=window)


class UpdateMaintenanceWindow(graphene.Mutation):
    """Change a maintenance window, e.g. end it early (needs noc.manage or sites.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        input = MaintenanceWindowInput(required=True)

    maintenance_window = graphene.Field(MaintenanceWindowType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateMaintenanceWindow:
        user = require_any(info, WINDOW_WRITERS)
        window = services.update_maintenance_window(user, selectors.get_window_for(user, id), **_window_fields(input))
        return UpdateMaintenanceWindow(maintenance_window=window)


class DeleteMaintenanceWindow(graphene.Mutation):
    """Remove a maintenance window (needs noc.manage or sites.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeleteMaintenanceWindow:
        user = require_any(info, WINDOW_WRITERS)
        window = selectors.get_window_for(user, id)
        pk = window.pk
        services.delete_maintenance_window(user, window)
        return DeleteMaintenanceWindow(deleted_id=pk)


class NocMutations(graphene.ObjectType):
    acknowledge_alert = AcknowledgeAlert.Field()
    assign_alert = AssignAlert.Field()
    resolve_alert = ResolveAlert.Field()
    comment_alert = CommentAlert.Field()
    create_maintenance_window = CreateMaintenanceWindow.Field()
    update_maintenance_window = UpdateMaintenanceWindow.Field()
    delete_maintenance_window = DeleteMaintenanceWindow.Field()
