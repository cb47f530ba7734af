"""The console in a real browser: headless Chromium driven by Playwright against a live server.

The live server thread connects as the runtime database role, so row-level security is on
for every query the pages make, as under ``make run``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (scripts/bootstrap.sh --test installs it)", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser_page() -> Iterator[Page]:
    """A fresh headless Chromium page, opened and closed inside the test body.

    Playwright's sync API runs an event loop in this thread while it is open, and Django
    refuses database calls next to a running loop; fixture set-up and the transactional
    flush at tear-down use the database, so the browser must not outlive the test body.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()


def sign_in(page: Page, base_url: str, tenant: str, login: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_tenant", tenant)
    page.fill("#id_username", login)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_supervisor_signs_in_and_out(live_server: Any, tenant_a_supervisor: Any) -> None:
    base = live_server.url
    with browser_page() as page:
        sign_in(page, base, "alpha", tenant_a_supervisor.login, tenant_a_supervisor.password)
        page.wait_for_url(f"{base}/")

        assert page.title() == "Console · Youtility"
        assert page.text_content("#me-tenant") == "alpha"
        assert page.text_content("#me-login") == "supervisor"
        assert page.locator("#me-roles .tag").all_text_contents() == ["supervisor"]
        assert page.text_content("header .brand") == "Youtility · alpha"
        # A supervisor lacks admin.manage, so the home page offers no link to the admin.
        assert page.locator("a[href='/admin/']").count() == 0

        page.click("header button[type=submit]")
        page.wait_for_url(f"{base}/login/")
        assert page.title() == "Sign in · Youtility"
        # The session is gone: the home page sends the browser back to sign in.
        page.goto(f"{base}/")
        assert page.url == f"{base}/login/?next=/"


def test_wrong_password_shows_the_error_and_stays(live_server: Any, tenant_a_supervisor: Any) -> None:
    base = live_server.url
    with browser_page() as page:
        sign_in(page, base, "alpha", tenant_a_supervisor.login, "not-the-password")
        page.wait_for_selector(".errors")

        assert page.url == f"{base}/login/"
        assert page.text_content(".errors") == "Company, login or password is not correct."
        assert page.input_value("#id_tenant") == "alpha"
        assert page.input_value("#id_password") == ""
        assert page.locator("#me-login").count() == 0


def test_stylesheet_is_served_and_applied(live_server: Any) -> None:
    with browser_page() as page:
        with page.expect_response(lambda r: r.url.endswith("/static/console/console.css")) as css:
            page.goto(f"{live_server.url}/login/")
        assert css.value.status == 200

        # Without console.css the body is transparent and the button has the browser's grey.
        body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        button_bg = page.evaluate("getComputedStyle(document.querySelector('button.primary')).backgroundColor")
        assert (body_bg, button_bg) == ("rgb(244, 247, 249)", "rgb(15, 107, 92)")


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_make_no_request_to_another_origin(live_server: Any, path: str) -> None:
    base = live_server.url
    with browser_page() as page:
        left: list[tuple[str, str]] = []
        page.on(
            "requestfinished",
            lambda r: None if r.url.startswith((base, "data:", "blob:")) else left.append((r.url, "sent")),
        )
        page.on(
            "requestfailed",
            lambda r: None if r.url.startswith(base) else left.append((r.url, r.failure or "")),
        )
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{base}{path}", wait_until="networkidle")

        assert page.title() == "Youtility API"
        # Nothing is even attempted: Redoc's footer logo no longer points at Redoc's CDN.
        assert (left, blocked) == ([], [])
