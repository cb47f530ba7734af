"""Session sign-in for the console and the Django admin, scoped to the session's tenant."""

from __future__ import annotations

from django.test import Client

from conftest import make_persona


def console_login(client: Client, persona) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == "/"


def test_console_session_reaches_the_api(tenant_a_supervisor, tenant_b_admin):
    client = Client()
    console_login(client, tenant_a_supervisor)
    me = client.get("/api/v1/me/")
    assert (me.status_code, me.json()["tenant"], me.json()["login"]) == (200, "alpha", "supervisor")
    home = client.get("/")
    assert home.status_code == 200
    assert b'<dd id="me-tenant">alpha</dd>' in home.content


def test_session_writes_need_csrf(tenant_a_supervisor):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/login/",
        {
            "tenant": "alpha",
            "username": tenant_a_supervisor.login,
            "password": tenant_a_supervisor.password,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    refused = client.post("/api/v1/auth/ws-ticket/", data={}, content_type="application/json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "permission_denied")
    accepted = client.post(
        "/api/v1/auth/ws-ticket/",
        data={},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201


def test_wrong_password_stays_on_login(tenant_a_supervisor):
    client = Client()
    response = client.post("/login/", {"tenant": "alpha", "username": "supervisor", "password": "nope-nope"})
    assert response.status_code == 400
    assert b"Company, login or password is not correct." in response.content
    assert client.get("/").status_code == 302


def test_open_redirect_is_refused(tenant_a_supervisor):
    client = Client()
    response = client.post(
        "/login/?next=https://evil.example/",
        {"tenant": "alpha", "username": "supervisor", "password": tenant_a_supervisor.password},
    )
    assert response["Location"] == "/"


def test_admin_lists_only_own_tenant(tenant_a_admin, tenant_a_guard, tenant_b_admin):
    make_persona(tenant_b_admin.tenant, "guard", login="bravo-only")
    client = Client()
    assert client.get("/admin/").status_code == 302  # to the console's sign-in
    console_login(client, tenant_a_admin)
    page = client.get("/admin/people/person/")
    assert page.status_code == 200
    assert b"bravo-only" not in page.content
    assert b"1 person" not in page.content and b"2 people" in page.content
    foreign = client.get(f"/admin/people/person/{tenant_b_admin.person.pk}/change/")
    assert foreign.status_code == 302  # Django admin redirects a missing object to the index


def test_guards_cannot_use_the_admin(tenant_a_guard):
    client = Client()
    console_login(client, tenant_a_guard)
    assert client.get("/admin/people/person/").status_code == 302


def test_logout(tenant_a_supervisor):
    client = Client()
    console_login(client, tenant_a_supervisor)
    assert client.post("/logout/").status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
