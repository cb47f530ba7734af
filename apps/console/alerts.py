"""The NOC pages of the console: the alert list and an alert with its timeline.

Rows come from ``apps.noc.selectors`` (tenant and site scope; another tenant's or another
site's alert is a 404) and every action goes through ``apps.noc.services``. A refused
action shows the service's message on the page; a successful one redirects back to the
alert (post/redirect/get).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from apps.core.errors import DomainError
from apps.noc import selectors, services
from apps.noc.announce import console_path
from apps.noc.filtersets import AlertFilterSet
from apps.noc.models import Alert, AlertEvent

from . import choices
from .access import ALERTS_ACT, ALERTS_READ, TICKETS_READ, found, may, page, render_page
from .forms import AlertAssignForm, AlertFilterForm, AlertNoteForm, AlertRequiredNoteForm

PAGE_SIZE = 25
#: What each form of the alert page does, and what it says when done.
DONE = {
    "acknowledge": "Alert acknowledged.",
    "assign": "Alert assigned.",
    "resolve": "Alert resolved.",
    "comment": "Comment added.",
}
#: Display names for the live script, so its rows read like the server's, and the open statuses.
LABELS = json.dumps(
    {
        "type": dict(Alert.Type.choices),
        "severity": dict(Alert.Severity.choices),
        "status": dict(Alert.Status.choices),
        "open": [str(status) for status in Alert.OPEN_STATUSES],
    }
)


def open_first(queryset: QuerySet[Alert]) -> QuerySet[Alert]:
    """Open alerts before resolved ones, each newest first."""
    is_open = Case(When(status__in=Alert.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(closed=is_open).order_by("closed", "-first_seen_at", "-pk")


@page(*ALERTS_READ)
@require_http_methods(["GET"])
def alert_list(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = AlertFilterForm(request.GET or None, sites=choices.sites_of(person))
    alerts = AlertFilterSet(form.filters(), queryset=selectors.alerts_for(person)).qs
    paginator = Paginator(open_first(alerts), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "alerts": page_obj.object_list,
        "filtered": bool(form.filters()),
        # The live script adds new alerts only where they belong: on the first page.
        "live": page_obj.number == 1,
        "labels": LABELS,
    }
    return render_page(request, "console/alert_list.html", context)


def _forms(person: Any, alert: Alert, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    """The forms ``person`` may use on ``alert`` now (the service's status machine), one bound."""
    if not may(person, ALERTS_ACT):
        return {}
    factories: dict[str, Any] = {"comment": lambda data: AlertRequiredNoteForm(data, prefix="comment")}
    if alert.status in services.TRANSITIONS["acknowledge"]:
        factories["acknowledge"] = lambda data: AlertNoteForm(data, prefix="acknowledge")
    if alert.status in services.TRANSITIONS["assign"]:
        people = [
            candidate
            for candidate in choices.people_seeing(person, alert.site)
            if candidate.has_any_capability(services.RESPONDER_CAPABILITIES)
        ]
        factories["assign"] = lambda data: AlertAssignForm(data, prefix="assign", people=people)
    if alert.status in services.TRANSITIONS["resolve"]:
        factories["resolve"] = lambda data: AlertRequiredNoteForm(data, prefix="resolve")
    action, data = bound or ("", None)
    return {name: make(data if name == action else None) for name, make in factories.items()}


def _act(action: str, person: Any, alert: Alert, data: dict[str, Any]) -> None:
    if action == "acknowledge":
        services.acknowledge_alert(person, alert, note=data["note"])
    elif action == "assign":
        services.assign_alert(person, alert, assignee_id=data["person"], note=data["note"])
    elif action == "resolve":
        services.resolve_alert(person, alert, note=data["note"])
    else:
        services.comment_alert(person, alert, note=data["note"])


def _form_for(action: str, data: Any) -> Any:
    """The form of ``action`` bound to ``data``, even when the page would not offer it now
    (the alert changed since the page was loaded): the service then says why not."""
    if action == "assign":
        return AlertAssignForm(data, prefix=action, people=[])
    if action == "acknowledge":
        return AlertNoteForm(data, prefix=action)
    return AlertRequiredNoteForm(data, prefix=action)


@page(*ALERTS_READ)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    person = request.user
    alert = found(selectors.get_alert_for, person, alert_id, with_timeline=True)
    failed: dict[str, str] = {}
    status = 200
    bound: tuple[str, Any] | None = None
    if request.method == "POST":
        if not may(person, ALERTS_ACT):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in DONE:
            failed, status = {"action": "", "message": "Choose what to do with the alert."}, 400
        else:
            form = _form_for(action, request.POST)
            if form.is_valid():
                try:
                    _act(action, person, alert, form.cleaned_data)
                except DomainError as exc:
                    failed, status = {"action": action, "message": exc.message}, exc.status
                else:
                    messages.success(request, DONE[action])
                    return HttpResponseRedirect(console_path(alert))
            else:
                failed, status = {"action": action, "message": _first_error(form)}, 400
            bound = (action, request.POST)
            # Show the alert as it is now: someone else may have changed it meanwhile.
            alert = found(selectors.get_alert_for, person, alert_id, with_timeline=True)
    context = {
        "alert": alert,
        "details": _details(alert.details),
        "timeline": [_entry(event) for event in alert.events.all()],
        "forms": _forms(person, alert, bound),
        "failed": failed,
        "source_ticket": _source_ticket(person, alert),
    }
    return render_page(request, "console/alert_detail.html", context, status=status)


def _details(details: Any) -> list[tuple[str, str]]:
    """What the producer recorded, as key and text (nested values as JSON)."""
    if not isinstance(details, dict):
        return []
    return [(str(k), v if isinstance(v, str) else json.dumps(v, sort_keys=True)) for k, v in sorted(details.items())]


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "The form is not valid."


def _entry(event: AlertEvent) -> dict[str, Any]:
    """A timeline line: what happened, by whom, and the specifics the event's data holds."""
    data = event.data if isinstance(event.data, dict) else {}
    specifics = ""
    if event.kind == AlertEvent.Kind.ASSIGNED and isinstance(data.get("assigned_to"), dict):
        specifics = f"to {data['assigned_to'].get('name', '')}"
    elif event.kind == AlertEvent.Kind.ESCALATED and "level" in data:
        specifics = f"to level {data['level']}"
    elif event.kind == AlertEvent.Kind.REPEATED and "occurrences" in data:
        specifics = f"{data['occurrences']} times so far"
    changed = bool(event.from_status) and event.from_status != event.to_status
    return {
        "event": event,
        "specifics": specifics,
        "change": f"{event.from_status} → {event.to_status}" if changed else "",
    }


def _source_ticket(person: Any, alert: Alert) -> int | None:
    """The id of the ticket that raised the alert, when the person may open tickets."""
    source = alert.source_type
    if source is None or (source.app_label, source.model) != ("helpdesk", "ticket") or not may(person, TICKETS_READ):
        return None
    return alert.source_id
