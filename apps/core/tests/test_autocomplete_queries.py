"""Every picker costs the same number of queries for a page of 2 results or of 20.

Pickers load only the fields they show (``autocomplete_fields`` and
``autocomplete_text_fields``); a text that read another field would cost one query per
result, which these counts would catch.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.assets.models import Asset
from apps.assets.tests.factories import make_asset, make_site
from apps.checklists.tests.factories import make_question
from apps.core.tenancy import tenant_context
from apps.people.services import create_person

pytestmark = pytest.mark.django_db

PICKERS = ["people", "sites", "assets", "checkpoints", "questions"]


def populate(first: int, last: int) -> None:
    for n in range(first, last):
        create_person(login=f"zed{n:02d}", name=f"Zed {n:02d}", password=None, roles=[])
        site = make_site(f"ZED-{n:02d}", name=f"Zed site {n:02d}")
        make_asset(site, f"ZED-A{n:02d}", name=f"Zed pump {n:02d}")
        make_asset(site, f"ZED-C{n:02d}", name=f"Zed gate {n:02d}", kind=Asset.Kind.CHECKPOINT)
        make_question(f"ZED-Q{n:02d}", text=f"Zed question {n:02d}")


def page(client: Any, picker: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{picker}/autocomplete/", {"q": "zed"})
    assert response.status_code == 200, response.content
    return len(response.json()["results"]), len(queries.captured_queries)


def test_a_picker_costs_the_same_queries_whatever_it_finds(tenant_a: Any, tenant_a_admin: Any) -> None:
    client = tenant_a_admin.client()
    assert client.get("/api/v1/me/").status_code == 200  # the tenant is cached from here on
    with tenant_context(tenant_a):
        populate(0, 2)
    small = {picker: page(client, picker) for picker in PICKERS}
    with tenant_context(tenant_a):
        populate(2, 25)
    large = {picker: page(client, picker) for picker in PICKERS}
    # The assets picker offers checkpoints too.
    assert {picker: found for picker, (found, _) in small.items()} == {**dict.fromkeys(PICKERS, 2), "assets": 4}
    assert {picker: found for picker, (found, _) in large.items()} == dict.fromkeys(PICKERS, 20)
    assert {picker: count for picker, (_, count) in large.items()} == {
        picker: count for picker, (_, count) in small.items()
    }
