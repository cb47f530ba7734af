from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate

from apps.helpdesk.models import Priority
from apps.helpdesk.models import Status as TicketStatus
from apps.helpdesk.services import MAX_TEXT_LENGTH as MAX_TICKET_TEXT_LENGTH
from apps.helpdesk.services import MAX_TITLE_LENGTH as MAX_TICKET_TITLE_LENGTH
from apps.noc.models import Alert
from apps.noc.services import MAX_NOTE_LENGTH as MAX_ALERT_NOTE_LENGTH


class TenantLoginForm(forms.Form):
    """Sign-in for the console and the admin: tenant, login and password."""

    tenant = forms.SlugField(max_length=50, label="Company")
    username = forms.CharField(max_length=150, label="Login")
    password = forms.CharField(max_length=256, strip=False, widget=forms.PasswordInput)

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        user = authenticate(self.request, tenant=data["tenant"], username=data["username"], password=data["password"])
        if user is None:
            error = getattr(self.request, "auth_error", None)
            code = getattr(error, "code", "invalid_credentials")
            if code == "auth_throttled":
                raise forms.ValidationError(error.message, code=code)  # type: ignore[union-attr]
            raise forms.ValidationError("Company, login or password is not correct.", code="invalid_credentials")
        self.user_cache = user
        return data

    def get_user(self) -> Any:
        return self.user_cache


# --- Alerts and tickets ----------------------------------------------------------------------
#
# These forms parse and render only. Fields the services check (notes, statuses, ids) are
# passed on as typed, so a refusal shows the service's own message; ``required`` and
# ``maxlength`` on the widgets only spare the browser a round trip.


def _choice_list(rows: Any, label: Any, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank is not None else []
    return choices + [(str(row.pk), label(row)) for row in rows]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _note(limit: int, *, required: bool = False, rows: int = 2) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows, "maxlength": limit}
    if required:
        attrs["required"] = True
    return forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs=attrs))


class AlertFilterForm(forms.Form):
    """The alert list's filters (GET)."""

    status = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False)
    # Any id: a site outside the person's scope simply matches none of their rows.
    site = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.Select)

    def __init__(self, *args: Any, sites: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "status", [("", "Any status"), ("open", "Open (not resolved)"), *Alert.Status.choices])
        _set_choices(self, "severity", [("", "Any severity"), *Alert.Severity.choices])
        self.fields["site"].widget.choices = _choice_list(sites, lambda s: f"{s.code} · {s.name}", "Any site")

    def filters(self) -> dict[str, Any]:
        """The valid filters in the shape of ``AlertFilterSet``."""
        self.is_valid()  # an invalid field is left out; the others still apply
        data = getattr(self, "cleaned_data", {})
        filters: dict[str, Any] = {}
        status = data.get("status")
        if status == "open":
            filters["open"] = True
        elif status:
            filters["status"] = [status]
        if data.get("severity"):
            filters["severity"] = [data["severity"]]
        if data.get("site") is not None:
            filters["site"] = data["site"]
        return filters


class AlertNoteForm(forms.Form):
    """Acknowledge: an optional note."""

    note = _note(MAX_ALERT_NOTE_LENGTH)


class AlertRequiredNoteForm(forms.Form):
    """Resolve and comment: the service requires the note."""

    note = _note(MAX_ALERT_NOTE_LENGTH, required=True)


class AlertAssignForm(forms.Form):
    # Any id is passed on: the service decides who may take the alert and says why not.
    person = forms.IntegerField(
        label="Assign to", min_value=1, error_messages={"required": "Choose the person to assign the alert to."}
    )
    note = _note(MAX_ALERT_NOTE_LENGTH)

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].widget = forms.Select(choices=_choice_list(people, lambda p: p.name, "Choose a person"))


class TicketFilterForm(forms.Form):
    """The ticket list's filters (GET)."""

    status = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False)
    # Any id: a site outside the person's scope simply matches none of their rows.
    site = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.Select)
    mine = forms.BooleanField(required=False, label="Assigned to me")

    def __init__(self, *args: Any, sites: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "status", [("", "Any status"), *TicketStatus.choices])
        _set_choices(self, "priority", [("", "Any priority"), *Priority.choices])
        self.fields["site"].widget.choices = _choice_list(sites, lambda s: f"{s.code} · {s.name}", "Any site")

    def filters(self, person: Any) -> dict[str, Any]:
        """The valid filters in the shape of ``TicketFilterSet``."""
        self.is_valid()  # an invalid field is left out; the others still apply
        data = getattr(self, "cleaned_data", {})
        filters: dict[str, Any] = {}
        for name in ("status", "priority"):
            if data.get(name):
                filters[name] = [data[name]]
        if data.get("site") is not None:
            filters["site"] = data["site"]
        if data.get("mine"):
            filters["assignee_person"] = person.pk
        return filters


class TicketTransitionForm(forms.Form):
    to = forms.CharField(label="Move to", error_messages={"required": "Choose the new status."})
    note = _note(MAX_TICKET_TEXT_LENGTH)

    def __init__(self, *args: Any, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(TicketStatus.choices)
        self.fields["to"].widget = forms.Select(choices=[(code, labels[code]) for code in allowed])


class TicketCommentForm(forms.Form):
    body = _note(MAX_TICKET_TEXT_LENGTH, required=True, rows=3)


class TicketAssignForm(forms.Form):
    """One picker for a person or a team: ``person:<id>``, ``team:<id>``, or nobody."""

    assignee = forms.CharField(required=False, label="Assign to")

    def __init__(self, *args: Any, people: list[Any], teams: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("", "Nobody")]
        if people:
            choices.append(("People", [(f"person:{p.pk}", p.name) for p in people]))
        if teams:
            choices.append(("Teams", [(f"team:{t.pk}", t.name) for t in teams]))
        self.fields["assignee"].widget = forms.Select(choices=choices)

    def clean_assignee(self) -> dict[str, str | None]:
        value = self.cleaned_data["assignee"]
        kind, _, pk = value.partition(":")
        if value and (kind not in {"person", "team"} or not pk):
            raise forms.ValidationError("Choose a person, a team or nobody.")
        return {"person": pk if kind == "person" else None, "team": pk if kind == "team" else None}

    @staticmethod
    def initial_for(ticket: Any) -> str:
        if ticket.assignee_person_id is not None:
            return f"person:{ticket.assignee_person_id}"
        if ticket.assignee_team_id is not None:
            return f"team:{ticket.assignee_team_id}"
        return ""


class TicketCreateForm(forms.Form):
    """Raise a ticket. ``uuid`` makes a double submission return the ticket it made."""

    site = forms.CharField(widget=forms.Select, error_messages={"required": "Choose the site."})
    category = forms.CharField(required=False, widget=forms.Select)
    priority = forms.CharField(required=False, initial=Priority.MEDIUM, widget=forms.Select(choices=Priority.choices))
    title = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": MAX_TICKET_TITLE_LENGTH, "required": True}),
    )
    description = _note(MAX_TICKET_TEXT_LENGTH, rows=4)
    uuid = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: list[Any], categories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].widget.choices = _choice_list(sites, lambda s: f"{s.code} · {s.name}", "Choose a site")
        self.fields["category"].widget.choices = _choice_list(categories, lambda c: c.name, "No category")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "site_id": data["site"],
            "category_id": data["category"] or None,
            "priority": data["priority"],
            "title": data["title"],
            "description": data["description"],
            "uuid": data["uuid"],
        }
