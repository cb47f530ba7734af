"""The alert pages in a real browser: headless Chromium driven by Playwright against a live server.

Data is written before the browser opens (see ``browser_page``). The last test loads the
demo data and, with ``CONSOLE_SCREENSHOTS=<directory>`` set, saves the alert list as the
demo admin sees it to ``<directory>/noc-alerts.png`` (the README's picture:
``CONSOLE_SCREENSHOTS=docs/img bash scripts/test.sh apps/console/tests/test_noc_browser.py``).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from apps.console.tests.test_console_browser import browser_page, sign_in
from apps.core.tenancy import tenant_context
from apps.noc import services as noc
from apps.noc.models import Alert
from apps.noc.tests.factories import make_site
from apps.people.services import redeem_ws_ticket
from apps.scheduling import demo as scheduling_demo
from apps.sites.models import SiteAssignment
from youtility.celery import app as celery_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Notifications queued on commit run in-process instead of piling up in the shared broker."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def north_alert(tenant: Any, supervisor: Any, title: str = "Night patrol tour missed") -> Alert:
    """An alert at NORTH, the supervisor's site."""
    with tenant_context(tenant):
        north = make_site("NORTH", name="North Gate")
        SiteAssignment.objects.create(person=supervisor, site=north)
        return noc.raise_alert(
            type=Alert.Type.TOUR_MISSED, severity=Alert.Severity.MEDIUM, dedupe_key="browser:1", title=title, site=north
        )


def test_supervisor_acknowledges_an_alert(live_server: Any, tenant_a: Any, tenant_a_supervisor: Any) -> None:
    alert = north_alert(tenant_a, tenant_a_supervisor.person)
    base = live_server.url
    with browser_page() as page:
        sign_in(page, base, "alpha", tenant_a_supervisor.login, tenant_a_supervisor.password)
        page.wait_for_url(f"{base}/")
        page.click("header nav a:text('Alerts')")
        page.wait_for_url(f"{base}/noc/alerts/")

        assert page.title() == "Alerts · Youtility"
        row = f"#alert-{alert.pk}"
        assert page.locator("#alerts tbody tr").count() == 1
        assert page.text_content(f"{row} td.status") == "New"

        page.click(f"{row} a")
        page.wait_for_url(f"{base}/noc/alerts/{alert.pk}/")
        assert page.text_content("#alert-status") == "New"
        page.fill("#id_acknowledge-note", "Calling the patrol guard.")
        page.click("#form-acknowledge button[type=submit]")
        page.wait_for_selector(".message")

        # Post/redirect/get: back on the alert, which now says who is on it.
        assert page.url == f"{base}/noc/alerts/{alert.pk}/"
        assert page.text_content(".message") == "Alert acknowledged."
        assert page.text_content("#alert-status") == "Acknowledged"
        assert (page.text_content("#alert-acknowledged-by") or "").startswith("Supervisor, ")
        assert page.locator("#timeline li strong").all_text_contents() == ["Created", "Acknowledged"]
        assert page.locator("#timeline li .note").all_text_contents() == ["Calling the patrol guard."]
        assert page.locator("#form-acknowledge").count() == 0

        page.click(".crumbs a")
        page.wait_for_url(f"{base}/noc/alerts/")
        assert page.text_content(f"{row} td.status") == "Acknowledged"


def test_new_alerts_arrive_at_the_top_of_the_list(live_server: Any, tenant_a: Any, tenant_a_supervisor: Any) -> None:
    """The list's script gets a WebSocket ticket with the session, connects to /ws/noc/ and
    adds ``alert.created`` rows. The live server speaks HTTP only, so the socket is played by
    the browser's WebSocket routing; the consumer itself is tested in apps/noc."""
    alert = north_alert(tenant_a, tenant_a_supervisor.person)
    base = live_server.url
    sockets: list[Any] = []
    problems: list[str] = []
    with browser_page() as page:
        page.route_web_socket(re.compile(r"/ws/noc/"), lambda socket: sockets.append(socket))
        page.on(
            "console",
            lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(page, base, "alpha", tenant_a_supervisor.login, tenant_a_supervisor.password)
        page.wait_for_url(f"{base}/")
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/ws-ticket/")) as issued:
            page.goto(f"{base}/noc/alerts/")
        assert issued.value.status == 201
        ticket = issued.value.json()["ticket"]
        page.wait_for_function("document.querySelector('#alerts').dataset.liveState === 'connected'")
        assert [socket.url for socket in sockets] == [f"{base.replace('http', 'ws', 1)}/ws/noc/?ticket={ticket}"]

        payload = {
            "id": alert.pk + 1000,
            "type": "PANIC",
            "severity": "CRITICAL",
            "status": "NEW",
            "title": "Panic button <pressed> at the gate",
            "site_id": alert.site_id,
            "site_code": "NORTH",
            "first_seen_at": "2026-03-01T22:15:00Z",
            "last_seen_at": "2026-03-01T22:15:00Z",
            "occurrences": 1,
            "assigned_to": None,
        }
        sockets[0].send(json.dumps({"type": "hello", "tenant": "alpha"}))
        sockets[0].send(json.dumps({"type": "alert.created", "payload": payload}))
        sockets[0].send(json.dumps({"type": "alert.created", "payload": payload}))  # told twice: one row
        page.wait_for_selector(f"#alert-{alert.pk + 1000}")

        assert page.locator("#alerts tbody tr").evaluate_all("rows => rows.map(r => r.id)") == [
            f"alert-{alert.pk + 1000}",
            f"alert-{alert.pk}",
        ]
        cells = page.locator(f"#alert-{alert.pk + 1000} td").all_text_contents()
        assert cells == [
            "Critical",
            "New",
            "Panic button <pressed> at the gate",  # text, not markup
            "NORTH",
            "Panic button",
            "2026-03-01 22:15",  # tenant alpha's time zone is UTC
            "2026-03-01 22:15",
            "1",
            "—",
        ]
        assert page.get_attribute(f"#alert-{alert.pk + 1000} a", "href") == f"/noc/alerts/{alert.pk + 1000}/"
    # The page's policy let the script and the socket through, and the script raised nothing.
    assert problems == []
    # The ticket the page fetched is a real one, for the supervisor, not yet used.
    person, tenant = redeem_ws_ticket(ticket)
    assert (person.pk, tenant.slug) == (tenant_a_supervisor.person.pk, "alpha")


def test_demo_admin_sees_the_demo_alerts(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The NOC demo's own alerts: the scheduling demo's missed jobs (their number depends on
    # the time of day) would push them off the first page.
    monkeypatch.setattr(scheduling_demo, "DEMO_STEPS", [])
    call_command("load_demo", stdout=io.StringIO())
    base = live_server.url
    with browser_page() as page:
        page.set_viewport_size({"width": 1280, "height": 800})
        sign_in(page, base, "acme", "admin", "youtility-demo")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/noc/alerts/")

        titles = page.locator("#alerts tbody tr td:nth-child(3)").all_text_contents()
        statuses = page.locator("#alerts tbody tr td.status").all_text_contents()
        assert list(zip(titles, statuses, strict=True)) == [
            ("SOS pressed by a guard at the gate", "New"),
            ("Guard left the site during the shift", "New"),
            ("Morning shift: one guard has not punched in", "New"),
            ("Fire pump pressure below 6 bar", "New"),
            ("Generator output voltage out of range", "Suppressed (maintenance)"),
            ("Night patrol tour missed", "Acknowledged"),
            ("Panic button offline for 2 hours", "New"),
        ]
        assert "times in Asia/Kolkata" in (page.text_content("main p.muted") or "")
        target = os.environ.get("CONSOLE_SCREENSHOTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / "noc-alerts.png"))
