"""The console's pages, the API docs and GraphiQL serve no inline scripts and nothing from other origins."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

# Any absolute or protocol-relative URL in an attribute or in CSS.
EXTERNAL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)


def inline_scripts(html: str) -> list[str]:
    return [body for attrs, body in SCRIPT.findall(html) if "src=" not in attrs or body.strip()]


def external_urls(html: str) -> list[str]:
    return EXTERNAL.findall(html)


def signed_in(persona: Any) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302
    return client


def test_the_checks_catch_what_they_look_for() -> None:
    html = '<script>alert(1)</script><script src="/static/a.js"></script><link href="https://cdn.example.com/x.css">'
    assert inline_scripts(html) == ["alert(1)"]
    assert external_urls(html) == ["https://cdn.example.com"]
    assert external_urls('<img src="//fonts.example.org/f.png">') == ["//fonts.example.org"]


@pytest.mark.django_db
def test_login_page_is_self_contained() -> None:
    response = Client().get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (inline_scripts(html), external_urls(html)) == ([], [])
    assert '<link rel="stylesheet" href="/static/console/console.css">' in html


def test_login_error_page_is_self_contained(tenant_a_supervisor: Any) -> None:
    response = Client().post("/login/", {"tenant": "alpha", "username": "supervisor", "password": "wrong-one"})
    html = response.content.decode()
    assert response.status_code == 400
    assert (inline_scripts(html), external_urls(html)) == ([], [])


def test_home_page_is_self_contained(tenant_a_admin: Any) -> None:
    response = signed_in(tenant_a_admin).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd id="me-login">admin</dd>' in html
    assert (inline_scripts(html), external_urls(html)) == ([], [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "bundle"),
    [
        ("/api/v1/docs/", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/v1/redoc/", "/static/vendor/redoc/redoc.standalone.js"),
    ],
)
def test_api_docs_load_nothing_from_a_cdn(path: str, bundle: str) -> None:
    response = Client().get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'src="{bundle}"' in html
    assert (inline_scripts(html), external_urls(html)) == ([], [])
    assert "<style" not in html


@pytest.mark.django_db
def test_graphiql_loads_nothing_from_a_cdn(settings: Any) -> None:
    settings.GRAPHIQL = True
    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/vendor/graphiql/graphiql.min.js" defer></script>' in html
    assert (inline_scripts(html), external_urls(html)) == ([], [])
    assert "<style" not in html
