"""With DEBUG off (as under `make run`), errors never show Django's debug pages: the API
answers in its error shape, the console with its own pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from apps.core import views

DJANGO_DEBUG_TEXT = ("URLconf", "Traceback", "DisallowedHost", "Invalid HTTP_HOST", "settings.py", "Django")


def api_error(response: Any) -> tuple[int, str]:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return response.status_code, body["error"]["code"]


def console_page(response: Any) -> str:
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    for text in DJANGO_DEBUG_TEXT:
        assert text not in html
    assert '<link rel="stylesheet" href="/static/console/console.css">' in html
    assert '<a class="button" id="error-home" href="/">Back to the console</a>' in html
    return html


def signed_in(persona: Any) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302
    return client


def test_debug_is_off() -> None:
    assert settings.DEBUG is False


@pytest.mark.parametrize("path", ["/api/v1/me/", "/graphql/"])
def test_a_foreign_host_gets_the_api_error_shape(db: Any, path: str) -> None:
    response = Client().get(path, HTTP_HOST="attacker.example")

    assert api_error(response) == (400, "disallowed_host")
    assert response.json()["error"]["message"] == "This server does not answer to that host name."
    assert b"attacker.example" not in response.content


def test_a_foreign_host_gets_the_console_page(db: Any) -> None:
    response = Client().get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    html = console_page(response)
    assert "<title>Bad request · Youtility</title>" in html
    assert '<p id="error-message">This server does not answer to that host name.</p>' in html
    assert "attacker.example" not in html


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope", "/graphql/nope/"])
def test_an_unknown_api_path_is_a_json_404(db: Any, path: str) -> None:
    response = Client().get(path)

    assert api_error(response) == (404, "not_found")
    assert b"URLconf" not in response.content


def test_an_unknown_console_path_is_the_product_404(db: Any) -> None:
    response = Client().get("/nope/")

    assert response.status_code == 404
    html = console_page(response)
    assert "<title>Page not found · Youtility</title>" in html
    assert '<p id="error-message">There is no page at this address.</p>' in html
    assert 'id="error-reference"' not in html


def test_a_signed_in_404_keeps_the_console_header(tenant_a_admin: Any) -> None:
    html = console_page(signed_in(tenant_a_admin).get("/nope/"))

    assert '<span class="brand">Youtility · alpha</span>' in html


def test_a_forbidden_console_page_is_the_product_403(tenant_a_guard: Any) -> None:
    response = signed_in(tenant_a_guard).get("/noc/alerts/")

    assert response.status_code == 403
    html = console_page(response)
    assert "<title>Not allowed · Youtility</title>" in html
    assert '<p id="error-message">You do not have permission to open this page.</p>' in html
    assert '<span class="brand">Youtility · alpha</span>' in html


def test_a_refused_csrf_token_is_the_product_403(tenant_a_admin: Any) -> None:
    client = signed_in(tenant_a_admin)
    client.handler.enforce_csrf_checks = True

    response = client.post("/logout/")  # without the form's token

    assert response.status_code == 403
    html = console_page(response)
    assert "This form has expired or was sent from another site. Reload the page and try again." in html
    assert "CSRF" not in html  # the reason is logged, not shown
    assert client.get("/").status_code == 200  # the refused sign-out did not happen


@override_settings(ROOT_URLCONF="apps.core.tests.urls_for_tests")
def test_a_console_500_is_the_product_page_with_the_request_id(db: Any) -> None:
    response = Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="req-console-500")

    assert response.status_code == 500
    html = console_page(response)
    assert "<title>Something went wrong · Youtility</title>" in html
    assert '<code id="request-id">req-console-500</code>' in html
    assert "secret internal detail" not in html
    assert "RuntimeError" not in html


@override_settings(ROOT_URLCONF="apps.core.tests.urls_for_tests")
def test_an_api_500_is_the_error_shape_with_the_request_id(db: Any) -> None:
    response = Client(raise_request_exception=False).get("/api/v1/boom/", HTTP_X_REQUEST_ID="req-api-500")

    assert api_error(response) == (500, "internal_error")
    assert response.json()["error"]["details"] == {"request_id": "req-api-500"}
    assert b"secret internal detail" not in response.content


def test_the_500_page_needs_no_database_and_no_session(django_db_blocker: Any) -> None:
    """Rendered when the database may be what failed: any query would raise here."""
    request = RequestFactory().get("/jobs/")  # no session, no user

    with django_db_blocker.block():
        response = views.handler500(request)

    assert response.status_code == 500
    assert "<title>Something went wrong · Youtility</title>" in console_page(response)
