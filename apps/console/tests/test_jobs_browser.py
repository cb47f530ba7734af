"""The "Jobs today" board in a real browser: headless Chromium driven by Playwright.

The test loads the demo data (schedules planned from midnight, what has expired already
auto-closed) and opens the board as the demo supervisor. With ``CONSOLE_SCREENSHOTS=<directory>``
set it saves the board to ``<directory>/jobs-board.png`` (the README's picture:
``CONSOLE_SCREENSHOTS=docs/img bash scripts/test.sh apps/console/tests/test_jobs_browser.py``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from apps.console.tests.test_console_browser import browser_page, sign_in
from youtility.celery import app as celery_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Notifications queued on commit run in-process instead of piling up in the shared broker."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def test_demo_supervisor_sees_the_board_of_their_site(live_server: Any) -> None:
    call_command("load_demo", stdout=io.StringIO())
    base = live_server.url
    problems: list[str] = []
    with browser_page() as page:
        page.on(
            "console",
            lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.set_viewport_size({"width": 1280, "height": 800})
        sign_in(page, base, "acme", "supervisor", "youtility-demo")
        page.wait_for_url(f"{base}/")
        page.click("header nav a:text('Jobs today')")
        page.wait_for_url(f"{base}/jobs/")

        assert page.title() == "Jobs today · Youtility"
        headings = page.locator(".board-column h2").evaluate_all(
            "headings => headings.map(h => h.firstChild.textContent.trim())"
        )
        assert headings == ["Planned", "In progress", "Done", "Missed"]
        # Each column's count is the number of its cards; the demo plans jobs from midnight.
        total = 0
        for key in ("planned", "in_progress", "done", "missed"):
            count = int(page.text_content(f"#{key} h2 .count") or "")
            assert page.locator(f"#{key} li.job").count() == count
            total += count
        assert total > 0
        assert "times in Asia/Kolkata" in (page.text_content("#board-zone") or "")
        # The supervisor's home site is the one shown.
        home = page.locator("#board-site option:checked").text_content() or ""
        assert (page.text_content("#board-day") or "").startswith(home.split(" · ")[0] + " · ")
        # The column colours and the four-column grid come from the stylesheet.
        assert page.evaluate("getComputedStyle(document.querySelector('.board')).display") == "grid"

        target = os.environ.get("CONSOLE_SCREENSHOTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / "jobs-board.png"))

        # A tour's card opens the tour with its stops in order.
        tour = page.locator("li.job", has_text="stops done").first
        progress = tour.locator(".stops").text_content() or ""
        tour.locator("a.title").click()
        page.wait_for_selector("#stops")
        seqs = page.locator("#stops tbody tr td:first-child").all_text_contents()
        assert seqs == [str(n) for n in range(1, len(seqs) + 1)]
        assert progress == (page.text_content("#stops-done") or "").replace(" done", " stops done")
    assert problems == []
