"""The one decoder and the shared bounds (``apps.core.cleaning``, ``apps.core.bounds``), the
page numbers, and the last resort for values the database refuses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import DataError
from django.test import Client, override_settings
from graphql import GraphQLError

from apps.core import bounds, cleaning
from apps.core.tests.test_logging import log_lines  # noqa: F401 - a fixture
from youtility.graphql_view import YoutilityGraphQLView


def refusal(data: str | bytes) -> tuple[str, dict[str, Any]]:
    with pytest.raises(cleaning.DomainError) as refused:
        cleaning.loads(data)
    return refused.value.code, refused.value.details


def test_plain_json_decodes_as_json_does() -> None:
    text = '{"name": "Gate \\u00e9", "emoji": "\\ud83d\\ude00", "n": [1, 2.5, -3e2], "ok": true, "none": null}'
    assert cleaning.loads(text) == json.loads(text)
    assert cleaning.loads(b'"back\\\\u0000slash"') == "back\\u0000slash"  # an escaped backslash, not a NUL


def test_nesting_is_measured_outside_strings_before_parsing() -> None:
    assert cleaning.loads("[" * 64 + "]" * 64) is not None
    assert refusal("[" * 65 + "]" * 65) == ("too_deeply_nested", {"max_depth": 64})
    assert refusal('{"a": ' * 65 + "1" + "}" * 65) == ("too_deeply_nested", {"max_depth": 64})
    # Brackets in strings (escaped quotes included) are text, not nesting.
    text = json.dumps({"text": "[" * 5000 + '\\"{' * 100})
    assert cleaning.loads(text) == {"text": "[" * 5000 + '\\"{' * 100}
    # A body far beyond Python's recursion limit is refused, not a RecursionError.
    assert refusal("[" * 100_000)[0] == "too_deeply_nested"


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ('{"a": {"b": ["x", "y\\u0000"]}}', {"path": "$.a.b[1]", "character": "U+0000"}),
        ('{"a": "\\uD800"}', {"path": "$.a", "character": "U+D800"}),
        ('{"a": "\\udc00 low first"}', {"path": "$.a", "character": "U+DC00"}),
        ('{"a b": {"\\u0000k": 1}}', {"path": '$["a b"]["\\u0000k"]', "character": "U+0000"}),
        ('["\\u0000"]', {"path": "$[0]", "character": "U+0000"}),
    ],
)
def test_nul_and_lone_surrogates_are_refused_with_their_path(text: str, details: dict[str, Any]) -> None:
    assert refusal(text) == ("invalid_characters", details)


def test_not_json_and_numbers_beyond_a_float() -> None:
    assert refusal('{"a": NaN}')[0] == "malformed_json"
    assert refusal("[Infinity]")[0] == "malformed_json"
    assert refusal(b'"\xff"') == ("malformed_json", {"reason": "not UTF-8"})
    assert refusal('{"a": -1e400}') == ("value_out_of_range", {"value": "-1e400"})
    assert cleaning.loads('{"big": 123456789012345678901234567890}') == {"big": 123456789012345678901234567890}


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (date(1900, 1, 1), False),
        (date(9000, 12, 31), False),
        (date(1899, 12, 31), True),
        (date(9001, 1, 1), True),
        (datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=15, minutes=59))), False),
        (datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=15, minutes=59))), False),
        (datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=17, minutes=17))), True),
        (datetime(9000, 12, 31, 23, 59, tzinfo=UTC), False),
    ],
)
def test_the_supported_date_range(value: date, refused: bool) -> None:
    assert (bounds.date_error(value) is not None) is refused


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "100001", "9223372036854775807", "１"])
def test_autocomplete_pages_outside_the_range_are_invalid(tenant_a_admin: Any, page: str) -> None:
    response = tenant_a_admin.client().get("/api/v1/questions/autocomplete/", {"page": page})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_page"


def test_the_last_supported_page_is_an_empty_page(tenant_a_admin: Any) -> None:
    response = tenant_a_admin.client().get("/api/v1/people/autocomplete/", {"page": "100000", "q": "adm"})
    assert (response.status_code, response.json()) == (200, {"results": [], "pagination": {"more": False}})


def test_a_list_page_past_the_last_is_invalid(tenant_a_admin: Any) -> None:
    client = tenant_a_admin.client()
    assert client.get("/api/v1/people/", {"page": "1"}).status_code == 200
    assert client.get("/api/v1/people/", {"page": "last"}).status_code == 200
    for page in ("2", "9223372036854775807"):
        response = client.get("/api/v1/people/", {"page": page})
        assert (response.status_code, response.json()["error"]["code"]) == (404, "invalid_page")


# --- values the database refuses -------------------------------------------------------------


@override_settings(ROOT_URLCONF="apps.core.tests.urls_for_tests")
@pytest.mark.parametrize(("value", "code"), [("out_of_range", "value_out_of_range"), ("not_a_number", "invalid_value")])
def test_a_value_the_database_refuses_is_a_400_and_a_warning(
    db: Any,
    log_lines: Any,  # noqa: F811 - the fixture imported above
    value: str,
    code: str,
) -> None:
    response = Client(raise_request_exception=False).get(
        "/api/v1/data-error/", {"value": value}, HTTP_X_REQUEST_ID="req-data"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert b"bigint" not in response.content and b"SELECT" not in response.content
    [line] = [line for line in log_lines() if line["event"] == "db.value_refused"]
    assert (line["level"], line["request_id"]) == ("warning", "req-data")


def test_graphql_answers_a_refused_value_with_its_code() -> None:
    cause = type("NumericValueOutOfRange", (Exception,), {"sqlstate": "22003"})()
    error = DataError("value out of range for type bigint")
    error.__cause__ = cause
    formatted = YoutilityGraphQLView.format_error(GraphQLError("x", original_error=error, path=["jobs"]))
    assert formatted["extensions"] == {"code": "value_out_of_range", "details": {}}
    assert "bigint" not in json.dumps(formatted)
