"""The Django admin saves people and teams through the services.

A valid form is saved with exactly its values; a form a service refuses comes back (200)
with the service's message on the field concerned, and nothing is written. Deactivating
a person (unticking "active" or "delete") keeps the row and ends their sessions.
"""

from __future__ import annotations

import io
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from apps.core.errors import AuthenticationFailed
from apps.core.tenancy import tenant_context
from apps.people import services
from apps.people.models import Person, RefreshToken, Role, Team, TeamMembership
from conftest import Persona

from .helpers import make_client, make_lookup, make_site

pytestmark = pytest.mark.django_db

STRONG = "Correct-horse-7-battery"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Every photo these tests store lands in a temporary media root."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_photos(media_root: Path) -> list[str]:
    folder = media_root / "people" / "photos"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def png(name: str = "face.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 90)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def signed_in(persona: Persona) -> WebClient:
    browser = WebClient()
    response = browser.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return browser


def refused(response: Any) -> dict[str, list[str]]:
    """The errors of a form the admin sent back, after checking they are also on the page."""
    assert response.status_code == 200, response
    errors = response.context["adminform"].form.errors
    assert errors, "the form was sent back without errors"
    for messages in errors.values():
        for message in messages:
            assert escape(message) in response.content.decode()
    return {field: list(messages) for field, messages in errors.items()}


def saved(response: Any) -> None:
    errors = response.context["adminform"].form.errors if response.context else None
    assert response.status_code == 302, errors


def person_form(**overrides: Any) -> dict[str, Any]:
    """The add form as a browser posts it: blanks for empty fields, checkboxes only when ticked."""
    form = {
        "login": "asha",
        "name": "Asha Rao",
        "password": STRONG,
        "code": "",
        "email": "",
        "mobile": "",
        "home_site": "",
        "reports_to": "",
        "department": "",
        "designation": "",
        "client": "",
        "bound_device_id": "",
        "is_active": "on",
    }
    return {key: value for key, value in {**form, **overrides}.items() if value is not None}


def change_form(person: Person, **overrides: Any) -> dict[str, Any]:
    """The change form of ``person`` as the page shows it, with ``overrides``."""
    form = {
        "login": person.login,
        "name": person.name,
        "new_password": "",
        "code": person.code,
        "email": person.email,
        "mobile": person.mobile,
        "roles": [role.pk for role in person.roles.all()],
        "home_site": person.home_site_id or "",
        "reports_to": person.reports_to_id or "",
        "department": person.department_id or "",
        "designation": person.designation_id or "",
        "client": person.client_id or "",
        "bound_device_id": person.bound_device_id,
        "is_active": "on" if person.is_active else None,
    }
    return {key: value for key, value in {**form, **overrides}.items() if value is not None}


def fetch(persona: Persona, person: Person) -> Person:
    with tenant_context(persona.tenant):
        return Person.objects.prefetch_related("roles").get(pk=person.pk)


def sessions(persona: Persona, person: Person) -> list[bool]:
    """For each refresh token of ``person``: is it revoked?"""
    with tenant_context(persona.tenant):
        return [
            revoked is not None
            for revoked in RefreshToken.objects.filter(person=person).values_list("revoked_at", flat=True)
        ]


# --- Adding people ------------------------------------------------------------------------------


def test_person_add_saves_exact_values(tenant_a_admin: Persona, tenant_a_guard: Persona, media_root: Path) -> None:
    tenant = tenant_a_admin.tenant
    site, acme = make_site(tenant, "HQ"), make_client(tenant, "ACME")
    department, designation = make_lookup(tenant, "DEPARTMENT", "OPS"), make_lookup(tenant, "DESIGNATION", "GRD")
    with tenant_context(tenant):
        roles = {role.code: role.pk for role in Role.objects.all()}
    browser = signed_in(tenant_a_admin)

    form = person_form(
        code="E-100",
        email="asha@example.com",
        mobile="+91 98450 00000",
        roles=[roles["guard"], roles["supervisor"]],
        home_site=site.pk,
        reports_to=tenant_a_guard.person.pk,
        department=department.pk,
        designation=designation.pk,
        client=acme.pk,
        photo=png(),
        bound_device_id="device-1",
    )
    saved(browser.post("/admin/people/person/add/", form))
    with tenant_context(tenant):
        person = Person.objects.prefetch_related("roles").get(login="asha")
    assert {
        "name": person.name,
        "code": person.code,
        "email": person.email,
        "mobile": person.mobile,
        "roles": person.role_codes(),
        "home_site": person.home_site_id,
        "reports_to": person.reports_to_id,
        "department": person.department_id,
        "designation": person.designation_id,
        "client": person.client_id,
        "bound_device_id": person.bound_device_id,
        "is_active": person.is_active,
        "left_on": person.left_on,
        "password": person.check_password(STRONG),
        "created_by": person.created_by_id,
    } == {
        "name": "Asha Rao",
        "code": "E-100",
        "email": "asha@example.com",
        "mobile": "+91 98450 00000",
        "roles": ["guard", "supervisor"],
        "home_site": site.pk,
        "reports_to": tenant_a_guard.person.pk,
        "department": department.pk,
        "designation": designation.pk,
        "client": acme.pk,
        "bound_device_id": "device-1",
        "is_active": True,
        "left_on": None,
        "password": True,
        "created_by": tenant_a_admin.person.pk,
    }
    # The service named the file (random, by the format it found), not the upload's name.
    assert person.photo.name.endswith(".png") and "face" not in person.photo.name
    assert stored_photos(media_root) == [Path(person.photo.name).name]


def test_person_add_without_password_cannot_sign_in(tenant_a_admin: Persona) -> None:
    browser = signed_in(tenant_a_admin)
    saved(browser.post("/admin/people/person/add/", person_form(password="")))
    with tenant_context(tenant_a_admin.tenant):
        person = Person.objects.prefetch_related("roles").get(login="asha")
    assert (person.has_usable_password(), person.is_active, person.role_codes()) == (False, True, [])


def test_person_added_inactive_is_deactivated_by_the_service(tenant_a_admin: Persona) -> None:
    browser = signed_in(tenant_a_admin)
    saved(browser.post("/admin/people/person/add/", person_form(is_active=None)))
    with tenant_context(tenant_a_admin.tenant):
        person = Person.objects.get(login="asha")
    assert (person.is_active, person.left_on) == (False, timezone.localdate())


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"login": "guard"}, {"login": ["The login 'guard' is taken in this tenant. (duplicate_login)"]}),
        ({"code": "G-1"}, {"code": ["The code 'G-1' is taken in this tenant. (duplicate_code)"]}),
        (
            {"password": "password"},
            {"password": ["The password is not strong enough. (invalid_password)", "This password is too common."]},
        ),
        (
            {"password": "4711"},
            {
                "password": [
                    "The password is not strong enough. (invalid_password)",
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is entirely numeric.",
                ]
            },
        ),
        (
            {"photo": SimpleUploadedFile("face.png", b"these are notes, not pixels\n", content_type="image/png")},
            {"photo": ["The file is not a JPEG, PNG or WebP image. (invalid_image)"]},
        ),
        ({"roles": ["999999"]}, {"roles": ["Select a valid choice. 999999 is not one of the available choices."]}),
    ],
    ids=["duplicate-login", "duplicate-code", "common-password", "short-password", "text-as-photo", "unknown-role"],
)
def test_person_add_refused_writes_nothing(
    tenant_a_admin: Persona, media_root: Path, overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        services.create_person(login="guard", name="Guard", password=None, roles=[], code="G-1")
    browser = signed_in(tenant_a_admin)
    assert refused(browser.post("/admin/people/person/add/", person_form(**overrides))) == errors
    with tenant_context(tenant_a_admin.tenant):
        assert sorted(Person.objects.values_list("login", flat=True)) == ["admin", "guard"]
    assert stored_photos(media_root) == []


def test_person_add_refuses_another_tenants_site(tenant_a_admin: Persona, tenant_b_admin: Persona) -> None:
    foreign = make_site(tenant_b_admin.tenant, "B-HQ")
    browser = signed_in(tenant_a_admin)
    assert refused(browser.post("/admin/people/person/add/", person_form(home_site=foreign.pk))) == {
        "home_site": ["Select a valid choice. That choice is not one of the available choices."]
    }
    with tenant_context(tenant_a_admin.tenant):
        assert list(Person.objects.values_list("login", flat=True)) == ["admin"]


# --- Changing people ----------------------------------------------------------------------------


def test_person_change_saves_exact_values_and_a_new_password_ends_sessions(
    tenant_a_admin: Persona, tenant_a_guard: Persona
) -> None:
    guard = tenant_a_guard.person
    tenant_a_guard.tokens()
    with tenant_context(tenant_a_admin.tenant):
        supervisor = Role.objects.get(code="supervisor")
    browser = signed_in(tenant_a_admin)

    kept = change_form(fetch(tenant_a_admin, guard), name="Guard One", roles=[supervisor.pk])
    saved(browser.post(f"/admin/people/person/{guard.pk}/change/", kept))
    person = fetch(tenant_a_admin, guard)
    assert (person.name, person.role_codes(), person.check_password(tenant_a_guard.password)) == (
        "Guard One",
        ["supervisor"],
        True,
    )
    assert (person.modified_by_id, sessions(tenant_a_admin, guard)) == (tenant_a_admin.person.pk, [False])

    changed = change_form(person, new_password=STRONG)
    saved(browser.post(f"/admin/people/person/{guard.pk}/change/", changed))
    person = fetch(tenant_a_admin, guard)
    assert (person.check_password(STRONG), person.is_active, sessions(tenant_a_admin, guard)) == (True, True, [True])


def test_person_change_refuses_a_weak_password(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    tenant_a_guard.tokens()
    browser = signed_in(tenant_a_admin)
    form = change_form(fetch(tenant_a_admin, guard), name="Renamed", new_password="password")
    assert refused(browser.post(f"/admin/people/person/{guard.pk}/change/", form)) == {
        "new_password": ["The password is not strong enough. (invalid_password)", "This password is too common."]
    }
    person = fetch(tenant_a_admin, guard)
    assert (person.name, person.check_password(tenant_a_guard.password)) == ("Guard", True)
    assert sessions(tenant_a_admin, guard) == [False]


def test_person_change_refuses_a_reporting_line_cycle(
    tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    guard, supervisor = tenant_a_guard.person, tenant_a_supervisor.person
    with tenant_context(tenant_a_admin.tenant):
        services.update_person(guard, reports_to_id=supervisor.pk)
    before = fetch(tenant_a_admin, supervisor)
    browser = signed_in(tenant_a_admin)

    cycle = change_form(before, name="Renamed", reports_to=guard.pk)
    assert refused(browser.post(f"/admin/people/person/{supervisor.pk}/change/", cycle)) == {
        "reports_to": ["This reporting line would make a cycle. (reports_to_cycle)"]
    }
    itself = change_form(before, reports_to=supervisor.pk)
    assert refused(browser.post(f"/admin/people/person/{supervisor.pk}/change/", itself)) == {
        "reports_to": ["A person cannot report to themselves. (reports_to_self)"]
    }
    after = fetch(tenant_a_admin, supervisor)
    assert (after.name, after.reports_to_id, after.version) == ("Supervisor", None, before.version)


def test_person_change_takes_a_photo_refuses_text_and_clears(
    tenant_a_admin: Persona, tenant_a_guard: Persona, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    guard = tenant_a_guard.person
    browser = signed_in(tenant_a_admin)
    url = f"/admin/people/person/{guard.pk}/change/"

    saved(browser.post(url, change_form(fetch(tenant_a_admin, guard), photo=png())))
    first = fetch(tenant_a_admin, guard).photo.name
    assert first.endswith(".png") and stored_photos(media_root) == [Path(first).name]

    text = SimpleUploadedFile("face.png", b"these are notes, not pixels\n", content_type="image/png")
    assert refused(browser.post(url, change_form(fetch(tenant_a_admin, guard), photo=text))) == {
        "photo": ["The file is not a JPEG, PNG or WebP image. (invalid_image)"]
    }
    assert fetch(tenant_a_admin, guard).photo.name == first

    with django_capture_on_commit_callbacks(execute=True):
        saved(browser.post(url, change_form(fetch(tenant_a_admin, guard), **{"photo-clear": "on"})))
    assert (fetch(tenant_a_admin, guard).photo.name, stored_photos(media_root)) == ("", [])


def test_unticking_active_deactivates_and_ends_sessions(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    refresh = tenant_a_guard.tokens().refresh
    browser = signed_in(tenant_a_admin)
    url = f"/admin/people/person/{guard.pk}/change/"

    saved(browser.post(url, change_form(fetch(tenant_a_admin, guard), is_active=None)))
    person = fetch(tenant_a_admin, guard)
    assert (person.is_active, person.left_on, sessions(tenant_a_admin, guard)) == (
        False,
        timezone.localdate(),
        [True],
    )
    with pytest.raises(AuthenticationFailed) as exc:
        services.refresh_tokens(refresh=refresh)
    assert exc.value.code == "token_revoked"

    saved(browser.post(url, change_form(person, is_active="on")))
    person = fetch(tenant_a_admin, guard)
    assert (person.is_active, person.left_on, sessions(tenant_a_admin, guard)) == (True, None, [True])


def test_delete_page_deactivates_and_ends_sessions(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    tenant_a_guard.tokens()
    browser = signed_in(tenant_a_admin)

    page = browser.get(f"/admin/people/person/{guard.pk}/delete/")
    assert (page.context["title"], page.context["deleted_objects"]) == (
        "Deactivate person",
        [f"Person: {guard} (deactivated; it is not deleted, nor is anything that refers to it)"],
    )
    saved(browser.post(f"/admin/people/person/{guard.pk}/delete/", {"post": "yes"}))
    person = fetch(tenant_a_admin, guard)
    assert (person.is_active, person.left_on, sessions(tenant_a_admin, guard)) == (
        False,
        timezone.localdate(),
        [True],
    )
    with tenant_context(tenant_a_admin.tenant):
        logged = list(LogEntry.objects.values_list("object_id", "action_flag", "change_message"))
    assert logged == [(str(guard.pk), CHANGE, "Deactivated instead of deleted.")]


def test_deactivating_yourself_is_refused(tenant_a_admin: Persona) -> None:
    admin = tenant_a_admin.person
    browser = signed_in(tenant_a_admin)

    form = change_form(fetch(tenant_a_admin, admin), is_active=None)
    assert refused(browser.post(f"/admin/people/person/{admin.pk}/change/", form)) == {
        "is_active": ["You cannot deactivate your own account. (cannot_deactivate_self)"]
    }
    response = browser.post(f"/admin/people/person/{admin.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{admin}: You cannot deactivate your own account. (cannot_deactivate_self)"
    ]
    person = fetch(tenant_a_admin, admin)
    assert (person.is_active, person.left_on) == (True, None)
    with tenant_context(tenant_a_admin.tenant):
        assert LogEntry.objects.count() == 0


def test_bulk_action_deactivates_others_and_refuses_yourself(
    tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    tenant_a_guard.tokens()
    browser = signed_in(tenant_a_admin)
    selected = [tenant_a_admin.person.pk, tenant_a_guard.person.pk]
    response = browser.post("/admin/people/person/", {"action": "deactivate_selected", "_selected_action": selected})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{tenant_a_admin.person}: You cannot deactivate your own account. (cannot_deactivate_self)",
        "Deactivated 1 of 2 people.",
    ]
    with tenant_context(tenant_a_admin.tenant):
        assert dict(Person.objects.values_list("login", "is_active")) == {
            "admin": True,
            "guard": False,
            "supervisor": True,
        }
    assert sessions(tenant_a_admin, tenant_a_guard.person) == [True]


def test_person_pages_render(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    browser = signed_in(tenant_a_admin)
    add = browser.get("/admin/people/person/add/").context["adminform"].form
    change = browser.get(f"/admin/people/person/{guard.pk}/change/").context["adminform"].form
    assert ("password" in add.fields, "new_password" in add.fields) == (True, False)
    assert ("password" in change.fields, "new_password" in change.fields) == (False, True)
    with tenant_context(tenant_a_admin.tenant):
        assert change.initial["roles"] == [Role.objects.get(code="guard").pk]
        assert [role.code for role in change.fields["roles"].queryset] == [
            "admin",
            "client_viewer",
            "guard",
            "supervisor",
        ]
    assert browser.get("/admin/people/person/").status_code == 200


# --- Teams --------------------------------------------------------------------------------------


def memberships(persona: Persona) -> list[tuple[str, bool]]:
    with tenant_context(persona.tenant):
        rows = TeamMembership.objects.order_by("person__login").values_list("person__login", "is_lead")
        return list(rows)


def test_team_members_are_saved_by_login_with_leads(
    tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    browser = signed_in(tenant_a_admin)
    form = {"code": "PATROL", "name": "Night patrol", "member_logins": "guard\n * supervisor \n\n", "is_active": "on"}
    saved(browser.post("/admin/people/team/add/", form))
    with tenant_context(tenant_a_admin.tenant):
        team = Team.objects.get()
    assert (team.code, team.name, team.is_active, team.created_by_id) == (
        "PATROL",
        "Night patrol",
        True,
        tenant_a_admin.person.pk,
    )
    assert memberships(tenant_a_admin) == [("guard", False), ("supervisor", True)]

    page = browser.get(f"/admin/people/team/{team.pk}/change/")
    assert page.context["adminform"].form.initial["member_logins"] == "*supervisor\nguard"

    changed = {**form, "name": "Day patrol", "member_logins": "*guard\nadmin"}
    saved(browser.post(f"/admin/people/team/{team.pk}/change/", changed))
    with tenant_context(tenant_a_admin.tenant):
        assert Team.objects.get().name == "Day patrol"
    assert memberships(tenant_a_admin) == [("admin", False), ("guard", True)]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"member_logins": "*guard\nghost\nnobody"}, {"member_logins": ["No person with login ghost, nobody."]}),
        ({"member_logins": "guard\n*guard"}, {"member_logins": ["Listed more than once: guard."]}),
        ({"code": "TAKEN"}, {"code": ["The team code 'TAKEN' is taken in this tenant. (duplicate_code)"]}),
    ],
    ids=["unknown-login", "repeated-login", "duplicate-code"],
)
def test_team_add_refused_writes_nothing(
    tenant_a_admin: Persona, tenant_a_guard: Persona, overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        services.create_team(code="TAKEN", name="Taken")
    browser = signed_in(tenant_a_admin)
    form = {"code": "PATROL", "name": "Night patrol", "member_logins": "*guard", "is_active": "on", **overrides}
    assert refused(browser.post("/admin/people/team/add/", form)) == errors
    with tenant_context(tenant_a_admin.tenant):
        assert list(Team.objects.values_list("code", flat=True)) == ["TAKEN"]
    assert memberships(tenant_a_admin) == []


def test_team_login_of_another_tenant_is_unknown(
    tenant_a_admin: Persona, tenant_a_guard: Persona, tenant_b_admin: Persona
) -> None:
    with tenant_context(tenant_a_admin.tenant):
        team = services.create_team(code="PATROL", name="Patrol", members=[services.Member(tenant_a_guard.person.pk)])
    with tenant_context(tenant_b_admin.tenant):
        services.create_person(login="bravo-only", name="Bravo", password=None, roles=[])
    browser = signed_in(tenant_a_admin)
    form = {"code": "PATROL", "name": "Patrol", "member_logins": "guard\nbravo-only", "is_active": "on"}
    assert refused(browser.post(f"/admin/people/team/{team.pk}/change/", form)) == {
        "member_logins": ["No person with login bravo-only."]
    }
    assert memberships(tenant_a_admin) == [("guard", False)]


def test_team_delete_deactivates_and_keeps_members(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    with tenant_context(tenant_a_admin.tenant):
        team = services.create_team(
            code="PATROL", name="Patrol", members=[services.Member(tenant_a_guard.person.pk, is_lead=True)]
        )
    browser = signed_in(tenant_a_admin)
    assert browser.get(f"/admin/people/team/{team.pk}/delete/").context["title"] == "Deactivate team"
    saved(browser.post(f"/admin/people/team/{team.pk}/delete/", {"post": "yes"}))
    with tenant_context(tenant_a_admin.tenant):
        assert list(Team.objects.values_list("code", "is_active")) == [("PATROL", False)]
    assert memberships(tenant_a_admin) == [("guard", True)]


def test_team_pages_render(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    with tenant_context(tenant_a_admin.tenant):
        team = services.create_team(code="PATROL", name="Patrol", members=[services.Member(tenant_a_guard.person.pk)])
    browser = signed_in(tenant_a_admin)
    for page in ("", "add/", f"{team.pk}/change/", f"{team.pk}/delete/"):
        assert browser.get(f"/admin/people/team/{page}").status_code == 200, page


# --- Roles --------------------------------------------------------------------------------------


def test_role_capabilities_must_be_known(tenant_a_admin: Persona) -> None:
    browser = signed_in(tenant_a_admin)
    form = {"code": "auditor", "name": "Auditor", "capabilities": ["reports.view", "fly.drones"]}
    assert refused(browser.post("/admin/people/role/add/", form)) == {
        "capabilities": ["Select a valid choice. fly.drones is not one of the available choices."]
    }
    saved(browser.post("/admin/people/role/add/", {**form, "capabilities": ["reports.view"]}))
    with tenant_context(tenant_a_admin.tenant):
        assert Role.objects.get(code="auditor").capabilities == ["reports.view"]


def test_left_on_is_shown_not_edited(tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    with tenant_context(tenant_a_admin.tenant):
        services.deactivate_person(guard, left_on=date(2024, 3, 31))
    browser = signed_in(tenant_a_admin)
    form = change_form(fetch(tenant_a_admin, guard), left_on="2025-01-01")
    saved(browser.post(f"/admin/people/person/{guard.pk}/change/", form))
    assert fetch(tenant_a_admin, guard).left_on == date(2024, 3, 31)


def test_person_change_takes_a_phone_sized_photo(
    settings: Any, tenant_a_admin: Persona, tenant_a_guard: Persona, media_root: Path
) -> None:
    """A photo over the 1 MB that ordinary requests may send reaches the form's checks."""
    pixels = random.Random(3).randbytes(720 * 720 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (720, 720), pixels).save(buffer, format="PNG")
    assert settings.MAX_REQUEST_BODY_BYTES < len(buffer.getvalue()) < settings.PERSON_PHOTO_MAX_BYTES
    guard = tenant_a_guard.person
    browser = signed_in(tenant_a_admin)
    photo = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
    saved(
        browser.post(f"/admin/people/person/{guard.pk}/change/", change_form(fetch(tenant_a_admin, guard), photo=photo))
    )
    assert fetch(tenant_a_admin, guard).photo.size == len(buffer.getvalue())
