"""The cached site list of pickers and phones, and the site autocomplete."""

from __future__ import annotations

from typing import Any

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites import services

from . import factories as f


def _choice_codes(persona: Any) -> list[str]:
    response = persona.client().get("/api/v1/sites/choices/")
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()]


def test_choices_are_cached_and_invalidated_on_commit(
    tenant_a_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    tenant = tenant_a_admin.tenant
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        acme = f.client("ACME")
        first = f.site("FIRST", of=acme, name="Alpha site")
    assert _choice_codes(tenant_a_admin) == ["FIRST"]

    # A write the services did not make (no bump) is not seen: the list really is cached.
    with tenant_context(tenant):
        type(first).objects.filter(pk=first.pk).update(name="Zeta site")
    assert tenant_a_admin.client().get("/api/v1/sites/choices/").json()[0]["name"] == "Alpha site"

    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True) as callbacks:
        f.site("SECOND", of=acme, name="Beta site")
    assert len(callbacks) >= 1
    assert _choice_codes(tenant_a_admin) == ["SECOND", "FIRST"]  # by name: Beta, Zeta

    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        services.update_site(first, name="Aardvark site")
    assert _choice_codes(tenant_a_admin) == ["FIRST", "SECOND"]

    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        services.deactivate_site(first)
    assert _choice_codes(tenant_a_admin) == ["SECOND"]


def test_invalidation_waits_for_the_commit(tenant_a_admin: Any, django_capture_on_commit_callbacks: Any) -> None:
    with tenant_context(tenant_a_admin.tenant), django_capture_on_commit_callbacks(execute=True):
        acme = f.client("ACME")
        f.site("FIRST", of=acme)
    assert _choice_codes(tenant_a_admin) == ["FIRST"]
    with tenant_context(tenant_a_admin.tenant), django_capture_on_commit_callbacks(execute=False) as callbacks:
        f.site("SECOND", of=acme)
    # Not committed yet: the version is unchanged, so the cached list is still served.
    assert _choice_codes(tenant_a_admin) == ["FIRST"]
    for callback in callbacks:
        callback()
    assert _choice_codes(tenant_a_admin) == ["FIRST", "SECOND"]


def test_tenant_a_cached_list_never_serves_tenant_b(
    tenant_a_admin: Any, tenant_b_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant), django_capture_on_commit_callbacks(execute=True):
        f.site("A-ONLY")
    assert _choice_codes(tenant_a_admin) == ["A-ONLY"]  # tenant A's list is now cached
    assert _choice_codes(tenant_b_admin) == []
    with tenant_context(tenant_b_admin.tenant), django_capture_on_commit_callbacks(execute=True):
        f.site("B-ONLY")
    assert _choice_codes(tenant_b_admin) == ["B-ONLY"]
    assert _choice_codes(tenant_a_admin) == ["A-ONLY"]


def test_choices_follow_each_persons_scope(
    tenant_a_admin: Any, tenant_a_guard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a_admin.tenant), django_capture_on_commit_callbacks(execute=True):
        acme = f.client("ACME")
        home, other = f.site("HOME", of=acme), f.site("OTHER", of=acme)
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(home_site=home)
    assert _choice_codes(tenant_a_admin) == ["HOME", "OTHER"]
    assert _choice_codes(tenant_a_guard) == ["HOME"]  # phones (jobs.perform) may read their own sites
    with tenant_context(tenant_a_admin.tenant), django_capture_on_commit_callbacks(execute=True):
        services.create_site_assignment(person_id=tenant_a_guard.person.pk, site_id=other.pk)
    assert _choice_codes(tenant_a_guard) == ["HOME", "OTHER"]
    assert tenant_a_guard.client().get("/api/v1/sites/").status_code == 403


# --- Autocomplete ---------------------------------------------------------------------------


def _autocomplete(persona: Any, **params: Any) -> dict[str, Any]:
    response = persona.client().get("/api/v1/sites/autocomplete/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_autocomplete_ignores_case_and_accents(tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        acme = f.client("ACME")
        sao = f.site("SP-01", of=acme, name="São Paulo Centro")
        f.site("RJ-01", of=acme, name="Rio de Janeiro")
    expected = {"results": [{"id": str(sao.pk), "text": "SP-01 São Paulo Centro"}], "pagination": {"more": False}}
    assert _autocomplete(tenant_a_admin, q="sao pau") == expected
    assert _autocomplete(tenant_a_admin, q="PAULO") == expected
    assert _autocomplete(tenant_a_admin, q="sp-0") == expected  # code matches too
    assert _autocomplete(tenant_a_admin, q="lisboa") == {"results": [], "pagination": {"more": False}}


def test_autocomplete_pages(tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        acme = f.client("ACME")
        for i in range(25):
            f.site(f"P{i:02d}", of=acme, name=f"Patrol post {i:02d}")
    first = _autocomplete(tenant_a_admin, q="patrol")
    assert [row["text"] for row in first["results"]] == [f"P{i:02d} Patrol post {i:02d}" for i in range(20)]
    assert first["pagination"] == {"more": True}
    second = _autocomplete(tenant_a_admin, q="patrol", page=2)
    assert [row["text"] for row in second["results"]] == [f"P{i:02d} Patrol post {i:02d}" for i in range(20, 25)]
    assert second["pagination"] == {"more": False}


def test_autocomplete_is_scoped(tenant_a_supervisor: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a_supervisor.tenant):
        acme = f.client("ACME")
        mine = f.site("MINE", of=acme, name="Paulista mine")
        f.site("THEIRS", of=acme, name="Paulista theirs")
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(home_site=mine)
    assert [row["id"] for row in _autocomplete(tenant_a_supervisor, q="paulista")["results"]] == [str(mine.pk)]
    assert _autocomplete(tenant_b_admin, q="paulista")["results"] == []
