"""The helpdesk pages of the console: the ticket list, a ticket, and raising one.

Rows come from ``apps.helpdesk.selectors`` (admins all, handlers and client viewers their
sites, workers their own; anything else is a 404). Which forms a ticket page offers
follows the helpdesk's own rules (``may_manage``, ``may_contribute``, the status machine
``services.TRANSITIONS``); the services check them again and a refusal shows its message.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods
from rest_framework.authentication import SessionAuthentication

from apps.core import attachments
from apps.core.errors import DomainError
from apps.helpdesk import selectors, services
from apps.helpdesk.announce import console_path
from apps.helpdesk.api.views import TicketViewSet
from apps.helpdesk.filtersets import TicketFilterSet
from apps.helpdesk.models import FINAL_STATUSES, Ticket, TicketEvent

from . import choices
from .access import TICKETS_RAISE, TICKETS_READ, found, page, render_page
from .forms import TicketAssignForm, TicketCommentForm, TicketCreateForm, TicketFilterForm, TicketTransitionForm

PAGE_SIZE = 25
DONE = {"transition": "Status changed.", "comment": "Comment added.", "assign": "Assignee changed."}


@page(*TICKETS_READ)
@require_http_methods(["GET"])
def ticket_list(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = TicketFilterForm(request.GET or None, sites=choices.sites_of(person))
    tickets = TicketFilterSet(form.filters(person), queryset=selectors.tickets_for(person)).qs
    page_obj = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "tickets": page_obj.object_list,
        "filtered": bool(form.filters(person)),
        "may_raise": _may_raise(person),
    }
    return render_page(request, "console/ticket_list.html", context)


def _may_raise(person: Any) -> bool:
    return person.has_any_capability(TICKETS_RAISE)


def _forms(person: Any, ticket: Ticket, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    """The forms ``person`` may use on ``ticket`` now, one of them bound to ``bound``."""
    factories: dict[str, Any] = {}
    final = ticket.status in FINAL_STATUSES
    if selectors.may_manage(person, ticket):
        allowed = services.TRANSITIONS[ticket.status]
        if allowed:
            factories["transition"] = lambda data: TicketTransitionForm(data, prefix="transition", allowed=allowed)
        if not final:
            people, teams = choices.people_seeing(person, ticket.site), choices.teams_of(person)
            initial = {"assignee": TicketAssignForm.initial_for(ticket)}
            factories["assign"] = lambda data: TicketAssignForm(
                data, prefix="assign", people=people, teams=teams, initial=initial
            )
    if not final and selectors.may_contribute(person, ticket):
        factories["comment"] = lambda data: TicketCommentForm(data, prefix="comment")
    action, data = bound or ("", None)
    return {name: make(data if name == action else None) for name, make in factories.items()}


def _form_for(action: str, data: Any) -> Any:
    """The form of ``action`` bound to ``data``, also when the page no longer offers it:
    the service then says why not."""
    if action == "transition":
        return TicketTransitionForm(data, prefix=action, allowed=())
    if action == "assign":
        return TicketAssignForm(data, prefix=action, people=[], teams=[])
    return TicketCommentForm(data, prefix=action)


def _act(action: str, person: Any, ticket: Ticket, data: dict[str, Any]) -> None:
    if action == "transition":
        services.transition_ticket(person, ticket, data["to"], note=data["note"])
    elif action == "assign":
        services.assign_ticket(person, ticket, **data["assignee"])
    else:
        services.add_comment(person, ticket, data["body"])


@page(*TICKETS_READ)
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    person = request.user
    ticket = found(selectors.get_ticket_for, person, ticket_id)
    failed: dict[str, str] = {}
    status = 200
    bound: tuple[str, Any] | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in DONE:
            failed, status = {"action": "", "message": "Choose what to do with the ticket."}, 400
        else:
            form = _form_for(action, request.POST)
            if form.is_valid():
                try:
                    _act(action, person, ticket, form.cleaned_data)
                except DomainError as exc:
                    failed, status = {"action": action, "message": exc.message}, exc.status
                else:
                    messages.success(request, DONE[action])
                    return HttpResponseRedirect(console_path(ticket))
            else:
                failed, status = {"action": action, "message": _first_error(form)}, 400
            bound = (action, request.POST)
            ticket = found(selectors.get_ticket_for, person, ticket_id)
    context = {
        "ticket": ticket,
        "comments": selectors.comments_of(ticket),
        "attachments": attachments.attachments_of(ticket).order_by("created_at", "pk"),
        "downloads": session_may_download(),
        "history": [_line(event) for event in selectors.history_of(ticket)],
        "forms": _forms(person, ticket, bound),
        "failed": failed,
    }
    return render_page(request, "console/ticket_detail.html", context, status=status)


def session_may_download() -> bool:
    """Whether the REST file route accepts the console's session (its authentication
    classes include session authentication); the page links the files only then. Whoever
    sees the ticket page passes that route's capability and scope checks."""
    return any(issubclass(cls, SessionAuthentication) for cls in TicketViewSet.authentication_classes)


@page(*TICKETS_RAISE)
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    person = request.user
    options: dict[str, Any] = {"sites": choices.sites_of(person), "categories": choices.ticket_categories()}
    error, status = "", 200
    if request.method == "POST":
        form = TicketCreateForm(request.POST, **options)
        if form.is_valid():
            try:
                ticket, _created = services.create_ticket(person, **form.service_fields())  # type: ignore[arg-type]
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, f"Ticket {ticket.number} raised.")
                return HttpResponseRedirect(console_path(ticket))
        else:
            error, status = _first_error(form), 400
    else:
        form = TicketCreateForm(initial={"uuid": uuid.uuid4()}, **options)
    return render_page(request, "console/ticket_create.html", {"form": form, "error": error}, status=status)


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "The form is not valid."


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or "—")
    return str(value)


def _line(event: TicketEvent) -> dict[str, Any]:
    """A history line: what changed from what to what, or what was added."""
    if event.kind == TicketEvent.Kind.CHANGED:
        text = f"{event.field.replace('_', ' ')}: {_value(event.old_value)} → {_value(event.new_value)}"
    elif event.kind == TicketEvent.Kind.CREATED:
        text = f"as {_value(event.new_value)}"
    elif event.kind == TicketEvent.Kind.ESCALATED and event.new_value is not None:
        text = f"to level {_value(event.new_value)}"
    else:
        text = ""
    return {"event": event, "text": text}
