"""``validate`` checks people and site lists against what the answering person may see.

Tenant A has NORTH (the guard's home site, the supervisor's assigned site) and SOUTH (the
south guard's). An id of someone at SOUTH, of another tenant or of nobody gets one and
the same answer, so validating answers tells nobody which ids exist beyond their scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from apps.checklists.models import AnswerType, ChecklistItem
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites.models import Client, Site, SiteAssignment
from conftest import Persona, make_persona

from .factories import make_checklist, make_question

pytestmark = pytest.mark.django_db

NOBODY = 10**12


@dataclass
class Scene:
    url: str
    people_item: str
    sites_item: str
    north: int
    south: int
    other_tenant_site: int
    south_guard: int
    other_tenant_guard: int


def _site(code: str) -> Site:
    client = Client.objects.create(code=f"C-{code}", name=f"Client {code}")
    return Site.objects.create(client=client, code=code, name=f"Site {code}", location=Point(55.27, 25.2))


@pytest.fixture
def scene(tenant_a: Any, tenant_b_guard: Persona, tenant_a_guard: Persona, tenant_a_supervisor: Persona) -> Scene:
    south_guard = make_persona(tenant_a, "guard", login="south_guard")
    with tenant_context(tenant_b_guard.tenant):
        other_site = _site("B-HQ")
    with tenant_context(tenant_a):
        north, south = _site("NORTH"), _site("SOUTH")
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(home_site=north)
        Person.objects.filter(pk=south_guard.person.pk).update(home_site=south)
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        checklist = make_checklist(
            "ROUND",
            [
                make_question("WITH", AnswerType.PEOPLE_LIST, text="Who was with you?"),
                make_question("WHERE", AnswerType.SITE_LIST, text="Which sites?"),
            ],
        )
        people_item, sites_item = (
            str(pk)
            for pk in ChecklistItem.objects.filter(checklist_version=checklist.current_version)
            .order_by("position")
            .values_list("pk", flat=True)
        )
    return Scene(
        url=f"/api/v1/checklists/{checklist.pk}/validate/",
        people_item=people_item,
        sites_item=sites_item,
        north=north.pk,
        south=south.pk,
        other_tenant_site=other_site.pk,
        south_guard=south_guard.person.pk,
        other_tenant_guard=tenant_b_guard.person.pk,
    )


def validate(persona: Persona, scene: Scene, people: list[int], sites: list[int]) -> dict[str, Any]:
    response = persona.client().post(
        scene.url, {"answers": {scene.people_item: people, scene.sites_item: sites}}, format="json"
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def unknown_people(*ids: int) -> dict[str, Any]:
    return {
        "code": "unknown_people",
        "message": "Some people are unknown or not among the people you may see.",
        "details": {"ids": list(ids)},
    }


def unknown_sites(*ids: int) -> dict[str, Any]:
    return {
        "code": "unknown_sites",
        "message": "Some sites are unknown or not among your sites.",
        "details": {"ids": list(ids)},
    }


@pytest.mark.parametrize("who", ["guard", "supervisor"])
def test_ids_beyond_the_scope_are_unknown_like_ids_of_nobody(
    who: str, scene: Scene, tenant_a_guard: Persona, tenant_a_supervisor: Persona
) -> None:
    persona = tenant_a_guard if who == "guard" else tenant_a_supervisor
    colleagues = sorted([tenant_a_guard.person.pk, tenant_a_supervisor.person.pk])

    assert validate(persona, scene, colleagues, [scene.north]) == {
        "version": 1,
        "valid": True,
        "results": {
            scene.people_item: {"value": colleagues, "is_alert": False},
            scene.sites_item: {"value": [scene.north], "is_alert": False},
        },
        "errors": {},
    }

    # Each kind of foreign id alone: the same code and message, only the id differs.
    for person_id, site_id in [
        (scene.south_guard, scene.south),  # same tenant, outside the scope
        (scene.other_tenant_guard, scene.other_tenant_site),  # another tenant
        (NOBODY, NOBODY),  # nobody
    ]:
        assert validate(persona, scene, [colleagues[0], person_id], [scene.north, site_id]) == {
            "version": 1,
            "valid": False,
            "results": {},
            "errors": {scene.people_item: unknown_people(person_id), scene.sites_item: unknown_sites(site_id)},
        }

    mixed = validate(
        persona,
        scene,
        [scene.other_tenant_guard, colleagues[0], NOBODY, scene.south_guard],
        [scene.south, scene.north, scene.other_tenant_site],
    )
    assert mixed["errors"] == {
        scene.people_item: unknown_people(scene.other_tenant_guard, NOBODY, scene.south_guard),
        scene.sites_item: unknown_sites(scene.south, scene.other_tenant_site),
    }


def test_a_tenant_admin_may_name_every_person_and_site_of_the_tenant(scene: Scene, tenant_a_admin: Persona) -> None:
    body = validate(tenant_a_admin, scene, [scene.south_guard], [scene.south, scene.north])
    assert (body["valid"], body["results"][scene.sites_item]["value"]) == (True, [scene.south, scene.north])
    body = validate(tenant_a_admin, scene, [scene.other_tenant_guard], [scene.other_tenant_site])
    assert body["errors"] == {
        scene.people_item: unknown_people(scene.other_tenant_guard),
        scene.sites_item: unknown_sites(scene.other_tenant_site),
    }
