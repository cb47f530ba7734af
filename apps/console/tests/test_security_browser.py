"""The content security policy in a real browser: violations reach /csp-report and are
logged; GraphiQL and Redoc run under the policy with nothing from another origin."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page

from apps.console.tests.test_console_browser import browser_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged(caplog: Any, event: str) -> list[dict[str, Any]]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == event]


def wait_for_logged(page: Page, caplog: Any, event: str, count: int, seconds: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while len(logged(caplog, event)) < count and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return logged(caplog, event)


class Watch:
    """What a page asked of other origins, and the policy violations the browser reported."""

    def __init__(self, page: Page, base: str) -> None:
        self.foreign: list[tuple[str, str]] = []
        self.csp_errors: list[str] = []
        own = (base, "data:", "blob:")
        page.on("requestfinished", lambda r: None if r.url.startswith(own) else self.foreign.append((r.url, "sent")))
        page.on(
            "requestfailed",
            lambda r: None if r.url.startswith(own) else self.foreign.append((r.url, r.failure or "")),
        )
        page.on(
            "console",
            lambda m: self.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )


def test_a_violation_reaches_the_report_endpoint_and_is_logged(live_server: Any, settings: Any, caplog: Any) -> None:
    settings.ROOT_URLCONF = "apps.core.tests.urls_for_tests"
    base = live_server.url
    with browser_page() as page:
        watch = Watch(page, base)
        page.goto(f"{base}/test-csp-violation/")
        reports = wait_for_logged(page, caplog, "csp.violation", 2)

        assert page.text_content("#ok") == "A page with violations"
        assert page.title() == "Youtility"  # the inline script did not run
        assert page.evaluate("document.getElementById('foreign').naturalWidth") == 0
    # The foreign image was stopped by the browser, never sent.
    assert watch.foreign == [("https://images.example.com/x.png?session=secret-value", "csp")]
    assert sorted((r["effective_directive"], r["blocked_uri"]) for r in reports) == [
        ("img-src", "https://images.example.com/x.png"),
        ("script-src-elem", "inline"),
    ]
    for report in reports:
        assert report["document_uri"] == f"{base}/test-csp-violation/"
        assert report["disposition"] == "enforce"
        assert "HeadlessChrome" in report["user_agent"]
    assert "secret-value" not in caplog.text
    deliveries = [r for r in logged(caplog, "http.request") if r["path"] == "/csp-report"]
    assert {(r["method"], r["status"]) for r in deliveries} == {("POST", 204)}


def test_graphiql_runs_a_query_with_nothing_from_another_origin(
    live_server: Any, settings: Any, caplog: Any, tenant_a_admin: Any
) -> None:
    settings.GRAPHIQL = True
    settings.GRAPHQL_INTROSPECTION = True
    base = live_server.url
    with browser_page() as page:
        watch = Watch(page, base)
        sign_in(page, base, "alpha", tenant_a_admin.login, tenant_a_admin.password)
        page.wait_for_url(f"{base}/")
        # GraphiQL keeps the last query in local storage; start from ours.
        page.add_init_script("window.localStorage.setItem('graphiql:query', '{ me { login tenant } }')")
        page.goto(f"{base}/graphql/", wait_until="networkidle")

        page.wait_for_selector(".graphiql-query-editor .CodeMirror")
        assert page.title() == "GraphiQL · Youtility"
        page.click(".graphiql-execute-button")
        page.wait_for_selector(".graphiql-response .CodeMirror-code:has-text('alpha')")
        result = page.evaluate("document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()")

    assert " ".join(result.split()) == '{ "data": { "me": { "login": "admin", "tenant": "alpha" } } }'
    assert (watch.foreign, watch.csp_errors) == ([], [])
    assert logged(caplog, "csp.violation") == []


def test_redoc_renders_with_nothing_from_another_origin(live_server: Any, caplog: Any) -> None:
    base = live_server.url
    with browser_page() as page:
        watch = Watch(page, base)
        page.goto(f"{base}/api/v1/redoc/", wait_until="networkidle")

        page.wait_for_selector("h1")
        assert page.text_content("h1") == "Youtility API (1.0.0)"
        assert page.locator("a[href='https://redocly.com/redoc/']").text_content() == "API docs by Redocly"
        # The search index is built in a worker: searching finds operations.
        page.fill("input[placeholder='Search...']", "alerts")
        page.locator("[data-role='search:results']").get_by_text("alerts_list", exact=True).wait_for()

    assert (watch.foreign, watch.csp_errors) == ([], [])
    assert logged(caplog, "csp.violation") == []
