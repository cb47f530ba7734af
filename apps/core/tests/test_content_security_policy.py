"""The content security policy on every response, and the endpoint violations are reported to."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from apps.core import security

BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "report-uri /csp-report"
)
REDOC = BASE.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "; report-uri", "; worker-src 'self' blob:; report-uri"
)
GRAPHIQL = BASE.replace("font-src 'self'", "font-src 'self' data:")


# Added to every line by the logging set-up, not by the report endpoint.
COMMON_LOG_KEYS = {"logger", "level", "timestamp", "request_id"}


def violations(caplog: Any) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in r.msg.items() if key not in COMMON_LOG_KEYS}
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "csp.violation"
    ]


def post_report(body: Any, content_type: str = "application/csp-report", **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post("/csp-report", data, content_type=content_type, **extra)


def error_of(response: Any) -> tuple[int, str]:
    assert set(response.json()["error"]) == {"code", "message", "details"}
    return response.status_code, response.json()["error"]["code"]


# --- the header -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status", "policy"),
    [
        ("/login/", {}, 200, BASE),  # a console page
        ("/nope/", {}, 404, BASE),  # the console's error page
        ("/admin/", {}, 302, BASE),  # to the console's sign-in
        ("/api/v1/docs/", {}, 200, BASE),  # Swagger UI
        ("/api/v1/docs/?script=", {}, 200, BASE),  # its start-up script
        ("/api/v1/redoc/", {}, 200, REDOC),
        ("/graphql/", {"HTTP_ACCEPT": "text/html"}, 200, GRAPHIQL),  # GraphiQL
        ("/api/v1/me/", {}, 401, BASE),  # a JSON API response
        ("/api/v1/nope/", {}, 404, BASE),
        ("/healthz", {}, 200, BASE),
    ],
)
def test_every_kind_of_response_carries_the_policy(
    db: Any, settings: Any, path: str, headers: dict[str, Any], status: int, policy: str
) -> None:
    settings.GRAPHIQL = True

    response = Client().get(path, **headers)

    assert response.status_code == status
    assert response["Content-Security-Policy"] == policy
    assert "Reporting-Endpoints" not in response  # plain HTTP: see the next test


def test_admin_pages_carry_it(tenant_a_admin: Any) -> None:
    client = Client()
    client.post("/login/", {"tenant": "alpha", "username": "admin", "password": tenant_a_admin.password})

    for path in ("/admin/", "/admin/people/person/", "/admin/sites/site/add/"):
        response = client.get(path)
        assert (response.status_code, response["Content-Security-Policy"]) == (200, BASE), path


def test_refused_requests_carry_it_too(db: Any, settings: Any) -> None:
    too_big = Client().post(
        "/api/v1/auth/token/", "x" * (settings.MAX_REQUEST_BODY_BYTES + 1), content_type="application/json"
    )
    foreign_host = Client().get("/", HTTP_HOST="attacker.example")

    assert (too_big.status_code, too_big["Content-Security-Policy"]) == (413, BASE)
    assert (foreign_host.status_code, foreign_host["Content-Security-Policy"]) == (400, BASE)


def test_over_https_browsers_are_also_given_the_reporting_api_endpoint(db: Any) -> None:
    response = Client().get("/login/", secure=True)

    assert response["Content-Security-Policy"] == BASE + "; report-to csp"
    assert response["Reporting-Endpoints"] == 'csp="/csp-report"'


@pytest.mark.parametrize("path", ["/login/", "/api/v1/redoc/"])
def test_pages_carry_no_policy_of_their_own(db: Any, path: str) -> None:
    assert b"Content-Security-Policy" not in Client().get(path).content


def test_every_relaxation_says_why() -> None:
    for relaxation in security.RELAXATIONS:
        assert relaxation.reason
        assert set(relaxation.sources) <= {*security.BASE_POLICY, "worker-src"}
        assert "*" not in " ".join(" ".join(sources) for sources in relaxation.sources.values())


# --- the report endpoint ----------------------------------------------------------------------

LEGACY_REPORT = {
    "csp-report": {
        "document-uri": "http://testserver/tickets/?q=secret-search#frag",
        "referrer": "http://testserver/login/?next=/tickets/",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": BASE,
        "disposition": "enforce",
        "blocked-uri": "https://cdn.example.com/x.js?token=abc",
        "line-number": 12,
        "column-number": 7,
        "source-file": "http://testserver/tickets/",
        "status-code": 200,
        "script-sample": "",
    }
}

# As Chromium sends it through the Reporting API (report-to).
REPORTING_API_BODY = [
    {
        "age": 10,
        "type": "csp-violation",
        "url": "https://ops.example.com/jobs/",
        "user_agent": "Mozilla/5.0",
        "body": {
            "blockedURL": "inline",
            "columnNumber": 54,
            "disposition": "enforce",
            "documentURL": "https://ops.example.com/jobs/?site=4",
            "effectiveDirective": "script-src-elem",
            "lineNumber": 3,
            "originalPolicy": BASE,
            "referrer": "",
            "sample": 'document.title = "x"',
            "sourceFile": "https://ops.example.com/jobs/?site=4",
            "statusCode": 200,
        },
    },
    {"age": 3, "type": "deprecation", "url": "https://ops.example.com/", "body": {"id": "x", "message": "y"}},
    {
        "type": "csp-violation",
        "body": {"blockedURL": "https://img.example.net/a.png", "effectiveDirective": "img-src", "lineNumber": "7"},
    },
]


def test_a_legacy_report_is_logged_as_one_line_without_query_strings(db: Any, caplog: Any) -> None:
    response = post_report(LEGACY_REPORT, HTTP_USER_AGENT="Firefox/140")

    assert (response.status_code, response.content) == (204, b"")
    assert violations(caplog) == [
        {
            "event": "csp.violation",
            "user_agent": "Firefox/140",
            "document_uri": "http://testserver/tickets/",
            "blocked_uri": "https://cdn.example.com/x.js",
            "effective_directive": "script-src-elem",
            "disposition": "enforce",
            "source_file": "http://testserver/tickets/",
            "line_number": 12,
            "column_number": 7,
            "status_code": 200,
        }
    ]
    assert "secret-search" not in caplog.text and "token=abc" not in caplog.text


def test_reporting_api_reports_are_logged_one_line_each(db: Any, caplog: Any) -> None:
    response = post_report(REPORTING_API_BODY, content_type="application/reports+json")

    assert response.status_code == 204
    assert violations(caplog) == [
        {
            "event": "csp.violation",
            "user_agent": "",
            "document_uri": "https://ops.example.com/jobs/",
            "blocked_uri": "inline",
            "effective_directive": "script-src-elem",
            "disposition": "enforce",
            "source_file": "https://ops.example.com/jobs/",
            "line_number": 3,
            "column_number": 54,
            "sample": 'document.title = "x"',
            "status_code": 200,
        },
        {
            "event": "csp.violation",
            "user_agent": "",
            "blocked_uri": "https://img.example.net/a.png",
            "effective_directive": "img-src",
        },
    ]


def test_long_fields_are_cut(db: Any, caplog: Any) -> None:
    report = {"csp-report": {"blocked-uri": "https://x.example/" + "a" * 5000, "script-sample": "b" * 5000}}

    assert post_report(report).status_code == 204
    (logged,) = violations(caplog)
    assert len(logged["blocked_uri"]) == len(logged["sample"]) == security.MAX_FIELD_CHARS
    assert logged["sample"].endswith("…")


def test_a_request_logs_at_most_twenty_reports(db: Any, caplog: Any) -> None:
    many = [{"type": "csp-violation", "body": {"blockedURL": f"https://x{n}.example/"}} for n in range(50)]

    assert post_report(many, content_type="application/reports+json").status_code == 204
    assert len(violations(caplog)) == 20


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("{not json", "application/csp-report", (400, "malformed_json")),
        ("[" * 5000 + "]" * 5000, "application/reports+json", (400, "malformed_json")),
        ({"something": "else"}, "application/csp-report", (400, "invalid")),
        ([1, "two", None, {"type": "csp-violation", "body": "x"}], "application/reports+json", (400, "invalid")),
        ({"csp-report": {"blocked-uri": "inline"}}, "text/plain", (415, "unsupported_media_type")),
        (
            {"csp-report": {"blocked-uri": "inline"}},
            "application/x-www-form-urlencoded",
            (415, "unsupported_media_type"),
        ),
    ],
)
def test_what_is_not_a_report_is_refused_with_a_4xx(
    db: Any, caplog: Any, body: Any, content_type: str, expected: tuple[int, str]
) -> None:
    assert error_of(post_report(body, content_type=content_type)) == expected
    assert violations(caplog) == []


@pytest.mark.parametrize(
    "odd",
    [
        {"csp-report": {"blocked-uri": ["list"], "line-number": "12", "column-number": 2**40, "status-code": True}},
        {"csp-report": {"document-uri": "http://[::1", "source-file": "//no-scheme/x?y"}},
        {"csp-report": {}},
    ],
)
def test_odd_field_values_never_cause_a_5xx(db: Any, caplog: Any, odd: Any) -> None:
    response = post_report(odd)

    assert response.status_code == 204
    (logged,) = violations(caplog)
    assert {"line_number", "column_number", "status_code"}.isdisjoint(logged)
    assert "?" not in json.dumps(logged)


def test_nul_and_lone_surrogates_never_cause_a_5xx(db: Any) -> None:
    response = post_report('{"csp-report": {"blocked-uri": "\\u0000\\ud800", "script-sample": "\\udfff"}}')

    assert response.status_code in {204, 400}


def test_a_large_body_is_refused_before_it_is_parsed(db: Any, caplog: Any, settings: Any) -> None:
    settings.CSP_REPORT_MAX_BYTES = 1000
    report = {"csp-report": {"blocked-uri": "inline", "script-sample": "x" * 2000}}

    response = post_report(report)

    assert error_of(response) == (413, "payload_too_large")
    assert response.json()["error"]["details"] == {"max_bytes": 1000}
    assert violations(caplog) == []


def test_only_post_is_accepted(db: Any) -> None:
    response = Client().get("/csp-report")

    assert error_of(response) == (405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_reports_are_limited_per_client_address(db: Any, caplog: Any, settings: Any) -> None:
    settings.CSP_REPORTS_PER_MINUTE = 3
    report = {"csp-report": {"blocked-uri": "inline"}}

    statuses = [post_report(report, REMOTE_ADDR="203.0.113.7").status_code for _ in range(5)]
    other_address = post_report(report, REMOTE_ADDR="203.0.113.8")
    refused = post_report(report, REMOTE_ADDR="203.0.113.7")

    assert statuses == [204, 204, 204, 429, 429]
    assert other_address.status_code == 204
    assert error_of(refused) == (429, "throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["details"] == {"retry_after": int(refused["Retry-After"])}
    assert len(violations(caplog)) == 4  # three from the first address, one from the second


def test_a_limiter_that_cannot_count_does_not_fail_the_report(db: Any, caplog: Any, monkeypatch: Any) -> None:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(security.cache, "incr", unavailable)

    response = post_report({"csp-report": {"blocked-uri": "inline"}})

    assert response.status_code == 204
    assert len(violations(caplog)) == 1


def test_the_endpoint_needs_no_csrf_token(db: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/csp-report", json.dumps(LEGACY_REPORT), content_type="application/csp-report")

    assert response.status_code == 204
