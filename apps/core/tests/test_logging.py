"""Structured logs: one JSON object per line, the correlation id on every line of a
request, and no password in any line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Everything logged during the test, through the project's own formatter, parsed.

    Parsing every line with ``json.loads`` is itself the check that each one is a single
    JSON object.
    """
    root = logging.getLogger()
    formatter = next(
        handler.formatter
        for handler in root.handlers
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert all(isinstance(entry, dict) for entry in parsed)
        return parsed

    def reset() -> None:
        stream.seek(0)
        stream.truncate()

    lines.raw = stream.getvalue  # type: ignore[attr-defined]
    lines.reset = reset  # type: ignore[attr-defined]
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def events(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == name]


def test_structlog_and_stdlib_lines_are_single_json_objects(log_lines):
    structlog.get_logger("youtility.test").warning("test.structlog", count=3, where="here")
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logging.getLogger("django.security").exception("stdlib %s", "message")

    raw = log_lines.raw()
    assert raw.count("\n") == 2  # the traceback stays inside its line
    first, second = log_lines()
    assert {key: first[key] for key in ("event", "count", "where", "level", "logger")} == {
        "event": "test.structlog",
        "count": 3,
        "where": "here",
        "level": "warning",
        "logger": "youtility.test",
    }
    assert {key: second[key] for key in ("event", "level", "logger")} == {
        "event": "stdlib message",
        "level": "error",
        "logger": "django.security",
    }
    assert second["exception"].startswith("Traceback (most recent call last):")
    assert second["exception"].endswith("ValueError: boom\nsecond line")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$", first["timestamp"])


def test_secret_looking_keys_are_redacted(log_lines):
    structlog.get_logger("youtility.test").warning("test.secrets", password="hunter2", refresh="r-123", login="ann")
    (line,) = log_lines()
    assert (line["password"], line["refresh"], line["login"]) == ("[redacted]", "[redacted]", "ann")
    assert "hunter2" not in log_lines.raw()


@pytest.mark.django_db
def test_request_id_is_echoed_and_on_every_line_of_the_request(log_lines, tenant_a_admin):
    client = tenant_a_admin.client()
    log_lines.reset()  # signing in to build the client logged outside any request
    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc-123"
    lines = log_lines()
    (request_line,) = events(lines, "http.request")
    assert {key: request_line[key] for key in ("method", "path", "status", "tenant", "request_id")} == {
        "method": "GET",
        "path": "/api/v1/me/",
        "status": 200,
        "tenant": "alpha",
        "request_id": "abc-123",
    }
    assert [line["request_id"] for line in lines] == ["abc-123"] * len(lines)


@pytest.mark.parametrize(
    "header",
    ["a" * 300, "abc 123", "abc-123\n", "abc-123\r\nSet-Cookie: x=1", "", "abc/123", "ünïcode"],
    ids=["too-long", "space", "trailing-newline", "header-injection", "empty", "slash", "non-ascii"],
)
def test_unacceptable_request_id_is_replaced_by_a_generated_one(client, log_lines, header):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=header)
    assert response.status_code == 200
    generated = response["X-Request-ID"]
    assert HEX32.match(generated), generated
    (request_line,) = events(log_lines(), "http.request")
    assert request_line["request_id"] == generated


def test_request_without_request_id_gets_a_fresh_one_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert HEX32.match(first)
    assert HEX32.match(second)
    assert first != second


def test_longest_accepted_request_id_is_kept(client):
    value = "A1._:-" * 21 + "xy"  # 128 characters
    assert client.get("/healthz", HTTP_X_REQUEST_ID=value)["X-Request-ID"] == value


def test_request_id_does_not_outlive_its_request(client, log_lines):
    client.get("/healthz", HTTP_X_REQUEST_ID="first-request")
    structlog.get_logger("youtility.test").warning("test.after_request")
    assert "request_id" not in events(log_lines(), "test.after_request")[0]


@pytest.mark.django_db
def test_failed_login_is_logged_without_the_password(api, log_lines, tenant_a_admin):
    password = "Wrong-Passw0rd-Sentinel"
    log_lines.reset()
    response = api.post(
        "/api/v1/auth/token/",
        {"tenant": "alpha", "login": "admin", "password": password},
        format="json",
        HTTP_X_REQUEST_ID="login-fail-1",
    )
    assert response.status_code == 401
    lines = log_lines()
    (failed,) = events(lines, "auth.login_failed")
    assert {key: failed[key] for key in ("tenant", "login", "reason", "channel", "request_id", "level")} == {
        "tenant": "alpha",
        "login": "admin",
        "reason": "invalid_credentials",
        "channel": "rest",
        "request_id": "login-fail-1",
        "level": "warning",
    }
    assert events(lines, "auth.login_succeeded") == []
    assert [line["event"] for line in lines] == ["auth.login_failed", "http.request"]
    assert {line["request_id"] for line in lines} == {"login-fail-1"}
    assert password not in log_lines.raw()


@pytest.mark.django_db
def test_login_to_unknown_tenant_is_logged_with_its_reason(api, log_lines):
    password = "Unknown-Tenant-Sentinel"
    response = api.post(
        "/api/v1/auth/token/", {"tenant": "nowhere", "login": "admin", "password": password}, format="json"
    )
    assert response.status_code == 401
    (failed,) = events(log_lines(), "auth.login_failed")
    assert (failed["tenant"], failed["login"], failed["reason"]) == ("nowhere", "admin", "unknown_tenant")
    assert password not in log_lines.raw()


@pytest.mark.django_db
def test_successful_login_is_logged_without_password_or_tokens(api, log_lines, tenant_a_admin):
    response = api.post(
        "/api/v1/auth/token/",
        {"tenant": "alpha", "login": "admin", "password": tenant_a_admin.password},
        format="json",
        HTTP_X_REQUEST_ID="login-ok-1",
    )
    assert response.status_code == 200
    lines = log_lines()
    (succeeded,) = events(lines, "auth.login_succeeded")
    assert {key: succeeded[key] for key in ("tenant", "login", "person_id", "channel", "request_id", "level")} == {
        "tenant": "alpha",
        "login": "admin",
        "person_id": tenant_a_admin.person.pk,
        "channel": "rest",
        "request_id": "login-ok-1",
        "level": "info",
    }
    raw = log_lines.raw()
    for secret in (tenant_a_admin.password, response.json()["access"], response.json()["refresh"]):
        assert secret not in raw
