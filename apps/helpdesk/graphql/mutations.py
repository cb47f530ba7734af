"""Ticket, escalation-rule and SLA-policy mutations: parse, call the service, return the row.

Domain errors reach the client with their code in ``extensions.code``, as in REST. Photos
are uploaded over REST (``POST /api/v1/tickets/{id}/attachments/``): GraphQL carries no files.
"""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.graphql import require_user
from apps.helpdesk import selectors, services

from .queries import require_any
from .types import EscalationRuleType, SlaPolicyType, TicketCommentType, TicketPriority, TicketStatus, TicketType


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def _given(data: Any, names: dict[str, str]) -> dict[str, Any]:
    """The input fields that were sent (omitted ones are left alone), under service names."""
    return {target: _enum(data[name]) for name, target in names.items() if name in data}


class CreateTicketInput(graphene.InputObjectType):
    uuid = graphene.UUID(description="Client-generated id: sending it again returns the same ticket.")
    site_id = graphene.ID(required=True)
    title = graphene.String(required=True)
    description = graphene.String()
    category_id = graphene.ID()
    priority = TicketPriority()
    assignee_person_id = graphene.ID(description="Handlers only.")
    assignee_team_id = graphene.ID(description="Handlers only.")


class UpdateTicketInput(graphene.InputObjectType):
    title = graphene.String()
    description = graphene.String()
    category_id = graphene.ID(description="null clears the category.")
    priority = TicketPriority()


class CreateTicket(graphene.Mutation):
    """Raise a ticket at one of the caller's sites (tickets.manage or jobs.perform)."""

    class Arguments:
        input = CreateTicketInput(required=True)

    ticket = graphene.Field(TicketType, required=True)
    created = graphene.Boolean(required=True, description="False when the uuid named a ticket raised before.")

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateTicket:
        user = require_user(info)
        names = {name: name for name in CreateTicketInput._meta.fields}
        ticket, created = services.create_ticket(user, **_given(input, names))
        return CreateTicket(ticket=selectors.get_ticket_for(user, ticket.pk), created=created)


class UpdateTicket(graphene.Mutation):
    """Change title, description, category or priority (handlers of the ticket's site)."""

    class Arguments:
        id = graphene.ID(required=True)
        input = UpdateTicketInput(required=True)

    ticket = graphene.Field(TicketType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateTicket:
        user = require_any(info, ("tickets.manage",))
        names = {"title": "title", "description": "description", "category_id": "category_id", "priority": "priority"}
        ticket = services.update_ticket(user, selectors.get_ticket_for(user, id), **_given(input, names))
        return UpdateTicket(ticket=selectors.get_ticket_for(user, ticket.pk))


class TransitionTicket(graphene.Mutation):
    """Move a ticket to another status; refused with ``invalid_transition`` off the status machine."""

    class Arguments:
        id = graphene.ID(required=True)
        to = TicketStatus(required=True)
        note = graphene.String()

    ticket = graphene.Field(TicketType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, to: Any, note: str = "") -> TransitionTicket:
        user = require_any(info, ("tickets.manage",))
        ticket = services.transition_ticket(user, selectors.get_ticket_for(user, id), _enum(to), note=note)
        return TransitionTicket(ticket=selectors.get_ticket_for(user, ticket.pk))


class AssignTicket(graphene.Mutation):
    """Assign a ticket to a person who may see its site or to a team; neither unassigns it."""

    class Arguments:
        id = graphene.ID(required=True)
        person_id = graphene.ID()
        team_id = graphene.ID()

    ticket = graphene.Field(TicketType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, person_id: Any = None, team_id: Any = None) -> AssignTicket:
        user = require_any(info, ("tickets.manage",))
        ticket = services.assign_ticket(user, selectors.get_ticket_for(user, id), person=person_id, team=team_id)
        return AssignTicket(ticket=selectors.get_ticket_for(user, ticket.pk))


class AddTicketComment(graphene.Mutation):
    """Comment on a ticket (at most 4000 characters)."""

    class Arguments:
        id = graphene.ID(required=True)
        body = graphene.String(required=True)

    comment = graphene.Field(TicketCommentType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, body: str) -> AddTicketComment:
        user = require_user(info)
        return AddTicketComment(comment=services.add_comment(user, selectors.get_ticket_for(user, id), body))


class EscalationRuleInput(graphene.InputObjectType):
    category_id = graphene.ID(description="null: the default matrix.")
    level = graphene.Int()
    wait_minutes = graphene.Int()
    assignee_person_id = graphene.ID()
    assignee_team_id = graphene.ID()
    notify_people = graphene.List(graphene.NonNull(graphene.ID))
    notify_teams = graphene.List(graphene.NonNull(graphene.ID))
    is_active = graphene.Boolean()


_RULE_FIELDS = {name: name for name in EscalationRuleInput._meta.fields}


class CreateEscalationRule(graphene.Mutation):
    class Arguments:
        input = EscalationRuleInput(required=True)

    escalation_rule = graphene.Field(EscalationRuleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateEscalationRule:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        return CreateEscalationRule(
            escalation_rule=services.create_escalation_rule(user, **_given(input, _RULE_FIELDS))
        )


class UpdateEscalationRule(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = EscalationRuleInput(required=True)

    escalation_rule = graphene.Field(EscalationRuleType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateEscalationRule:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        rule = services.update_escalation_rule(user, selectors.get_escalation_rule(id), **_given(input, _RULE_FIELDS))
        return UpdateEscalationRule(escalation_rule=rule)


class DeleteEscalationRule(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeleteEscalationRule:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        rule = selectors.get_escalation_rule(id)
        services.delete_escalation_rule(user, rule)
        return DeleteEscalationRule(deleted_id=rule.pk)


class SlaPolicyInput(graphene.InputObjectType):
    category_id = graphene.ID(description="null: the default policy of the priority.")
    priority = TicketPriority()
    resolve_within_minutes = graphene.Int()


_POLICY_FIELDS = {name: name for name in SlaPolicyInput._meta.fields}


class CreateSlaPolicy(graphene.Mutation):
    class Arguments:
        input = SlaPolicyInput(required=True)

    sla_policy = graphene.Field(SlaPolicyType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> CreateSlaPolicy:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        return CreateSlaPolicy(sla_policy=services.create_sla_policy(user, **_given(input, _POLICY_FIELDS)))


class UpdateSlaPolicy(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = SlaPolicyInput(required=True)

    sla_policy = graphene.Field(SlaPolicyType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, input: Any) -> UpdateSlaPolicy:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        policy = services.update_sla_policy(user, selectors.get_sla_policy(id), **_given(input, _POLICY_FIELDS))
        return UpdateSlaPolicy(sla_policy=policy)


class DeleteSlaPolicy(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeleteSlaPolicy:
        user = require_any(info, selectors.RULES_CAPABILITIES)
        policy = selectors.get_sla_policy(id)
        services.delete_sla_policy(user, policy)
        return DeleteSlaPolicy(deleted_id=policy.pk)


class TicketMutations(graphene.ObjectType):
    create_ticket = CreateTicket.Field()
    update_ticket = UpdateTicket.Field()
    transition_ticket = TransitionTicket.Field()
    assign_ticket = AssignTicket.Field()
    add_ticket_comment = AddTicketComment.Field()
    create_escalation_rule = CreateEscalationRule.Field()
    update_escalation_rule = UpdateEscalationRule.Field()
    delete_escalation_rule = DeleteEscalationRule.Field()
    create_sla_policy = CreateSlaPolicy.Field()
    update_sla_policy = UpdateSlaPolicy.Field()
    delete_sla_policy = DeleteSlaPolicy.Field()
