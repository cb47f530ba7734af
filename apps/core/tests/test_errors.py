"""Every 4xx/5xx of the API has one shape, a specific code, and no traceback."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings


def error(response):  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return response.status_code, body["error"]["code"]


def test_malformed_json(api, db):
    response = api.post("/api/v1/auth/token/", data="{not json", content_type="application/json")
    assert error(response) == (400, "malformed_json")


def test_wrong_content_type(api, db):
    response = api.post("/api/v1/auth/token/", data="tenant=a", content_type="text/plain")
    assert error(response) == (415, "unsupported_media_type")


def test_body_too_large(api, db, settings):
    big = '{"tenant": "' + "a" * (settings.MAX_REQUEST_BODY_BYTES + 10) + '"}'
    response = api.post("/api/v1/auth/token/", data=big, content_type="application/json")
    assert error(response) == (413, "payload_too_large")
    assert response.json()["error"]["details"] == {"max_bytes": settings.MAX_REQUEST_BODY_BYTES}


def test_unknown_api_route_is_json(api, db):
    assert error(api.get("/api/v1/no-such-thing/")) == (404, "not_found")


def test_method_not_allowed(tenant_a_admin):
    assert error(tenant_a_admin.client().delete("/api/v1/me/")) == (405, "method_not_allowed")


def test_permission_denied(tenant_a_guard):
    response = tenant_a_guard.client().get("/api/v1/people/")
    assert error(response) == (403, "permission_denied")


@override_settings(ROOT_URLCONF="apps.core.tests.urls_for_tests")
def test_unexpected_error_is_500_without_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/boom/", HTTP_X_REQUEST_ID="req-500")
    assert error(response) == (500, "internal_error")
    assert response.json()["error"]["details"] == {"request_id": "req-500"}
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("path", ["/api/v1/people/999999/", "/api/v1/people/not-a-number/"])
def test_detail_not_found(tenant_a_admin, path):
    assert error(tenant_a_admin.client().get(path)) == (404, "not_found")
