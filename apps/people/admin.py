"""Django admin for a tenant's people, teams and roles; querysets follow the signed-in tenant.

People and teams are written through ``services``, so the admin obeys the API's rules:
logins unique in the tenant, references of the tenant, no reporting-line cycles, strong
passwords, checked photos, and team members the editor may see. "Delete" deactivates
(and, for a person, ends every session); the rows stay because history refers to them.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.core.errors import DomainError
from apps.sites.selectors import clients_for, sites_for
from apps.tenants.models import Lookup

from . import selectors, services
from .capabilities import CAPABILITIES
from .models import Person, Role, Team


def _console_login(request: HttpRequest, extra_context: object = None) -> HttpResponseRedirect:
    """The admin signs in through the console's form, which asks for the tenant."""
    return HttpResponseRedirect(f"{reverse('console:login')}?{urlencode({'next': request.get_full_path()})}")


admin.site.login = _console_login  # type: ignore[method-assign]
admin.site.site_header = "Youtility administration"


class RoleForm(ServiceForm):
    capabilities = forms.MultipleChoiceField(
        choices=sorted(CAPABILITIES.items()), widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Role
        fields = ["code", "name", "capabilities"]

    def write(self, data: dict[str, Any]) -> Role:
        values = {"code": data["code"], "name": data["name"], "capabilities": data["capabilities"]}
        if self.instance.pk is None:
            return services.create_role(**values)
        return services.update_role(self.instance, **values)


@admin.register(Role)
class RoleAdmin(ServiceAdmin):
    """Roles through the roles service: nobody can take the last administering role away,
    and a role people hold cannot be deleted."""

    form = RoleForm
    delete_deactivates = False
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def remove(self, request: HttpRequest, obj: Role) -> None:
        services.delete_role(obj)


# --- People -----------------------------------------------------------------------------------

PROFILE_FIELDS = ["login", "name", "code", "email", "mobile", "bound_device_id"]
REFERENCE_FIELDS = ["home_site", "reports_to", "department", "designation", "client"]


def _password_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class PersonForm(ServiceForm):
    """Profile, roles and photo of a person; the subclasses add the password and call the service."""

    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    # A plain file field: the service, not the form, decides what a photo may be.
    photo = forms.FileField(
        required=False,
        help_text="Reference photo for face match: JPEG, PNG or WebP. Tick “Clear” to remove it.",
    )
    password_field = "password"

    class Meta:
        model = Person
        fields = [*PROFILE_FIELDS, *REFERENCE_FIELDS, "photo", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_fields = {"cannot_deactivate_self": "is_active", "invalid_password": self.password_field}
        if self.instance.pk is not None:
            self.initial["roles"] = [role.pk for role in self.instance.roles.all()]

    def profile(self, data: dict[str, Any]) -> dict[str, Any]:
        """The profile as the services take it: text fields and ``<reference>_id``."""
        values = {name: data[name] for name in PROFILE_FIELDS}
        values.update({f"{name}_id": row.pk if (row := data.get(name)) else None for name in REFERENCE_FIELDS})
        return values

    def write_photo(self, person: Person, photo: Any) -> None:
        """An upload replaces the photo, "Clear" (``False``) removes it; anything else keeps it."""
        if isinstance(photo, UploadedFile):
            services.set_person_photo(person, photo, by=self.actor)
        elif photo is False:
            services.remove_person_photo(person, by=self.actor)

    def add_domain_error(self, exc: DomainError) -> None:
        if exc.code == "invalid_password":
            # The validators' own reasons ("too short", "too common") say what to change.
            reasons = [str(reason) for reason in exc.details.get("messages", [])]
            self.add_error(self.password_field, [f"{exc.message} ({exc.code})", *reasons])
        else:
            super().add_domain_error(exc)


class PersonAddForm(PersonForm):
    password = _password_field(
        "Password", "Checked against the password rules. Leave blank for an account that cannot sign in yet."
    )

    def write(self, data: dict[str, Any]) -> Person:
        person = services.create_person(
            password=data["password"] or None, roles=list(data["roles"]), **self.profile(data)
        )
        if not data["is_active"]:
            services.update_person(person, by=self.actor, is_active=False)
        self.write_photo(person, data.get("photo"))
        return person


class PersonChangeForm(PersonForm):
    new_password = _password_field(
        "New password", "Leave blank to keep the current one. A new password ends the person's sessions."
    )
    password_field = "new_password"

    def write(self, data: dict[str, Any]) -> Person:
        fields = {**self.profile(data), "roles": list(data["roles"]), "is_active": data["is_active"]}
        if data["new_password"]:
            fields["password"] = data["new_password"]
        person = services.update_person(self.instance, by=self.actor, **fields)
        self.write_photo(person, data.get("photo"))
        return person


# The add page asks for a password; the change page for a new one and shows when the person left.
ADD_FIELDS = [
    "login",
    "name",
    "password",
    "code",
    "email",
    "mobile",
    "roles",
    *REFERENCE_FIELDS,
    "photo",
    "bound_device_id",
    "is_active",
]
CHANGE_FIELDS = [*(name if name != "password" else "new_password" for name in ADD_FIELDS), "left_on"]


@admin.register(Person)
class PersonAdmin(ServiceAdmin):
    """People the signed-in staff member may see (tenant, then site scope, like the API).

    Unticking "active" or "delete" deactivates through the service: ``left_on`` is recorded
    and every session ends. Ticking "active" again takes the person back.
    """

    form = PersonChangeForm
    add_form = PersonAddForm
    list_display = ["login", "name", "code", "email", "home_site", "designation", "is_active", "left_on"]
    list_filter = ["is_active"]
    search_fields = ["login", "name", "code", "email"]
    raw_id_fields = ["reports_to"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.people_for(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return CHANGE_FIELDS if obj is not None else ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["left_on"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = self.form if obj is not None else self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in {"department", "designation"}:
            kind = Lookup.Kind.DEPARTMENT if db_field.name == "department" else Lookup.Kind.DESIGNATION
            kwargs["queryset"] = Lookup.objects.filter(kind=kind)
        elif db_field.name == "home_site":
            kwargs["queryset"] = sites_for(request.user)
        elif db_field.name == "client":
            kwargs["queryset"] = clients_for(request.user)
        elif db_field.name == "reports_to":
            kwargs["queryset"] = selectors.people_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: Person) -> None:
        services.deactivate_person(obj, by=cast(Person, request.user))


# --- Teams ------------------------------------------------------------------------------------


class TeamForm(ServiceForm):
    member_logins = forms.CharField(
        label="Members",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One login per line. Start a line with * to make that person a lead, for example “*asha”.",
    )
    error_fields = {"duplicate_code": "code", "duplicate_member": "member_logins", "unknown_person": "member_logins"}

    class Meta:
        model = Team
        fields = ["code", "name", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            memberships = selectors.team_memberships_for(self.actor).filter(team=self.instance).select_related("person")
            self.initial["member_logins"] = "\n".join(
                f"{'*' if row.is_lead else ''}{row.person.login}" for row in memberships
            )

    def clean_member_logins(self) -> list[services.Member]:
        """The members by person id, leads marked; only people the editor may see are found."""
        wanted: dict[str, bool] = {}
        repeated: list[str] = []
        for line in self.cleaned_data["member_logins"].splitlines():
            login = line.strip().removeprefix("*").strip()
            if not login:
                continue
            if login in wanted:
                repeated.append(login)
            wanted[login] = line.strip().startswith("*")
        if repeated:
            raise ValidationError(f"Listed more than once: {', '.join(repeated)}.", code="duplicate_member")
        known = dict(selectors.people_for(self.actor).filter(login__in=wanted).values_list("login", "pk"))
        missing = [login for login in wanted if login not in known]
        if missing:
            raise ValidationError(f"No person with login {', '.join(missing)}.", code="unknown_person")
        return [services.Member(person_id=known[login], is_lead=lead) for login, lead in wanted.items()]

    def write(self, data: dict[str, Any]) -> Team:
        values = {name: data[name] for name in ("code", "name", "is_active")}
        members = data["member_logins"]
        if self.instance.pk is None:
            return services.create_team(members=members, by=self.actor, **values)
        return services.update_team(self.instance, members=members, by=self.actor, **values)


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    """Teams the signed-in staff member may see; members are edited as a list of logins."""

    form = TeamForm
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "member_logins", "is_active"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.teams_for(request.user)

    def remove(self, request: HttpRequest, obj: Team) -> None:
        services.deactivate_team(obj)
