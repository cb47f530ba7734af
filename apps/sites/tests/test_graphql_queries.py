"""Query counts of the sites GraphQL lists: related rows travel as ids and group members are
prefetched, so the lists cost the same number of queries for 2 sites as for 6."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.test import Client as HttpClient

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.sites import services

from . import factories as f

# What a supervisor's console or phone loads to pick sites, shifts and areas.
SITES = """
query {
  clients { code name }
  sites { code name clientId location }
  siteGroups { code siteIds }
  shifts { name siteId overnight }
  locations { code siteId parentId }
}
"""
# Authentication reads the person and their roles; then one query per list, and the groups' members.
QUERIES = 2 + 6


def counted(persona: Any, query: str, expected: int, assert_num_queries: Any) -> Any:
    client, token = HttpClient(), persona.tokens().access
    post_graphql(client, query, token=token)  # warm the per-process tenant cache
    with assert_num_queries(expected):
        response = post_graphql(client, query, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def add_site(number: int, person: Any, hidden_site_id: int) -> dict[str, Any]:
    """Site ``S<n>`` of client ``C<n>``, assigned to ``person``, with a shift, an area and a group
    that also holds a site ``person`` does not see. Returns the rows the lists should show."""
    client = f.client(f"C{number}")
    site = f.site(f"S{number}", of=client)
    services.create_site_assignment(person_id=person.pk, site_id=site.pk)
    services.create_shift(site_id=site.pk, name=f"Night {number}", start_time=time(22), end_time=time(6))
    services.create_location(site_id=site.pk, code=f"L{number}", name=f"Gate {number}")
    services.create_site_group(code=f"G{number}", name=f"Group {number}", site_ids=[hidden_site_id, site.pk])
    return {
        "clients": {"code": client.code, "name": f"Client C{number}"},
        "sites": {
            "code": site.code,
            "name": f"Site S{number}",
            "clientId": str(client.pk),
            "location": {"type": "Point", "coordinates": [77.59, 12.97]},
        },
        "siteGroups": {"code": f"G{number}", "siteIds": [str(site.pk)]},
        "shifts": {"name": f"Night {number}", "siteId": str(site.pk), "overnight": True},
        "locations": {"code": f"L{number}", "siteId": str(site.pk), "parentId": None},
    }


def as_lists(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": {
            name: [row[name] for row in rows] for name in ("clients", "sites", "siteGroups", "shifts", "locations")
        }
    }


def test_site_lists_cost_the_same_queries_for_two_sites_and_six(
    tenant_a_supervisor: Any, django_assert_num_queries: Any
) -> None:
    supervisor = tenant_a_supervisor.person
    with tenant_context(tenant_a_supervisor.tenant):
        hidden = f.site("HIDDEN", of=f.client("ZZ"))
        rows = [add_site(number, supervisor, hidden.pk) for number in (1, 2)]
    assert counted(tenant_a_supervisor, SITES, QUERIES, django_assert_num_queries) == as_lists(rows)

    with tenant_context(tenant_a_supervisor.tenant):
        rows += [add_site(number, supervisor, hidden.pk) for number in (3, 4, 5, 6)]
    assert counted(tenant_a_supervisor, SITES, QUERIES, django_assert_num_queries) == as_lists(rows)
