"""Tenant isolation of every REST list/detail route and every GraphQL object field.

Routes and fields are discovered, not listed: a new endpoint is checked as soon as it is
routed, and fails until its model has an isolation factory (see
``apps/core/testing/isolation.py``). Both tenants are asked through their *admin*, who
holds every capability, so a pass proves scoping and not a permission check.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from apps.core.models import is_tenant_model
from apps.core.testing import isolation, post_graphql
from apps.people.models import Person, Role

REST_ROUTES = isolation.rest_routes()
LIST_ROUTES = [route for route in REST_ROUTES if route.action == "list"]
DETAIL_ROUTES = [route for route in REST_ROUTES if route.action == "retrieve"]
GRAPHQL_FIELDS = isolation.graphql_fields()

NOT_FOUND_BODY = {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def _model_or_fail(route: isolation.RestRoute) -> Any:
    exempt = isolation.exemption(route.target)
    if exempt is not None:
        pytest.skip(f"{route} is exempt from the isolation test: {exempt}")
    model = route.model
    if model is None:
        pytest.fail(f"{route}: {route.viewset.__name__} declares no `queryset`, so its model cannot be found.")
    if not is_tenant_model(model):
        pytest.fail(
            f"{route} serves {model._meta.label}, which is not tenant-owned. Make it a TenantModel, or "
            f"declare `isolation_exempt({route.target!r}, reason=...)` in the app's tests/factories.py."
        )
    if route.extra_kwargs:
        pytest.fail(
            f"{route} takes URL arguments {route.extra_kwargs} the isolation test cannot fill in yet; "
            "teach apps/core/testing/isolation.py to build them."
        )
    return model


def _objects(model: Any, served_by: str, tenant_a: Any, tenant_b: Any) -> tuple[Any, Any]:
    try:
        return isolation.make_object(model, tenant_a, served_by), isolation.make_object(model, tenant_b, served_by)
    except isolation.MissingFactory as exc:
        pytest.fail(str(exc))


def _list_identifiers(route: isolation.RestRoute, persona: Any) -> set[str]:
    response = persona.client().get(route.path())
    assert response.status_code == 200, (str(route), persona.tenant.slug, response.content)
    found: set[str] = set()
    for item in isolation.response_items(response.json()):
        found |= isolation.item_identifiers(item, route.lookup_field)
    return found


def test_discovery_finds_the_people_endpoints() -> None:
    """Guards the discovery itself: if it found nothing, every parametrized case would vanish."""
    by_name = {route.url_name: route for route in REST_ROUTES}
    assert by_name["person-list"].action == "list"
    assert by_name["person-list"].path() == "/api/v1/people/"
    assert by_name["person-list"].model is Person
    assert by_name["person-detail"].action == "retrieve"
    assert str(by_name["person-detail"]) == "GET /api/v1/people/{pk}/"
    # Token, me and schema views are APIViews, not viewsets: they are not object routes.
    assert not {"me", "auth-token", "schema"} & set(by_name)
    fields = {field.name: field for field in GRAPHQL_FIELDS}
    assert fields["people"].model is Person
    assert fields["people"].type_name == "PersonType"
    assert fields["people"].required_args == ()
    assert fields["people"].query() == "query Isolation { people { id } }"
    assert "me" not in fields  # MeType is a plain object type, not a model


def test_a_served_model_without_factory_fails_with_where_to_register_it() -> None:
    with pytest.raises(isolation.MissingFactory) as excinfo:
        isolation.make_object(Role, tenant=None, served_by="GET /api/v1/roles/")
    message = str(excinfo.value)
    assert message.startswith(
        "people.Role is tenant-owned and served by GET /api/v1/roles/, but has no isolation factory. "
        "Register one in apps/people/tests/factories.py:"
    )
    assert "@isolation_factory(Role)" in message


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_rest_list_shows_only_own_tenant(route: isolation.RestRoute, tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    model = _model_or_fail(route)
    obj_a, obj_b = _objects(model, str(route), tenant_a_admin.tenant, tenant_b_admin.tenant)
    ids_a = isolation.identifiers(obj_a, route.lookup_value(obj_a))
    ids_b = isolation.identifiers(obj_b, route.lookup_value(obj_b))

    seen_by_a = _list_identifiers(route, tenant_a_admin)
    seen_by_b = _list_identifiers(route, tenant_b_admin)

    assert ids_a & seen_by_a, f"{route}: tenant A's admin does not see tenant A's object; the check would be vacuous"
    assert ids_b & seen_by_b, f"{route}: tenant B's admin does not see tenant B's object; the check would be vacuous"
    assert not ids_a & seen_by_b, f"{route}: tenant B's admin sees tenant A's {model._meta.label} {obj_a.pk}"
    assert not ids_b & seen_by_a, f"{route}: tenant A's admin sees tenant B's {model._meta.label} {obj_b.pk}"


@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=str)
def test_rest_detail_of_other_tenant_is_404(
    route: isolation.RestRoute, tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    model = _model_or_fail(route)
    obj_a, _obj_b = _objects(model, str(route), tenant_a_admin.tenant, tenant_b_admin.tenant)

    own = tenant_a_admin.client().get(route.path(obj_a))
    assert own.status_code == 200, (str(route), own.content)
    assert isolation.item_identifiers(own.json(), route.lookup_field) & isolation.identifiers(
        obj_a, route.lookup_value(obj_a)
    )

    other = tenant_b_admin.client().get(route.path(obj_a))
    assert other.status_code == 404, (str(route), other.content)
    assert other.json() == NOT_FOUND_BODY

    # Another tenant's object must be indistinguishable from one that does not exist.
    value = route.lookup_value(obj_a)
    missing: Any = (
        value + 1_000_000 if isinstance(value, int) else uuid.uuid4() if isinstance(value, uuid.UUID) else None
    )
    if missing is not None:
        absent = tenant_b_admin.client().get(route.path_for(missing))
        assert (absent.status_code, absent.json()) == (404, NOT_FOUND_BODY)


@pytest.mark.parametrize("field", GRAPHQL_FIELDS, ids=str)
def test_graphql_field_shows_only_own_tenant(
    field: isolation.GraphQLField, tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    exempt = isolation.exemption(field.target)
    if exempt is not None:
        pytest.skip(f"{field} is exempt from the isolation test: {exempt}")
    if not field.has_id:
        pytest.fail(f"{field}: {field.type_name} exposes no `id`, so the isolation test cannot tell objects apart.")
    args_for = isolation.graphql_args_builder(field.name)
    if field.required_args and args_for is None:
        pytest.fail(
            f"{field} has required arguments {[name for name, _ in field.required_args]}. Declare how to build them "
            f"from an object with `@isolation_graphql_args({field.name!r})` in the app's tests/factories.py, or "
            f"`isolation_exempt({field.target!r}, reason=...)` there if the field serves no tenant-owned data."
        )
    obj_a, obj_b = _objects(field.model, str(field), tenant_a_admin.tenant, tenant_b_admin.tenant)
    ids_a, ids_b = field.identifiers(obj_a), field.identifiers(obj_b)

    def ask(persona: Any, obj: Any) -> dict[str, Any]:
        variables = args_for(obj) if args_for is not None else None
        token = persona.tokens().access
        response = post_graphql(Client(), field.query(), variables, token=token)
        assert response.status_code == 200, (str(field), response.content)
        return response.json()

    own_a, own_b = ask(tenant_a_admin, obj_a), ask(tenant_b_admin, obj_b)
    for body, ids in ((own_a, ids_a), (own_b, ids_b)):
        assert "errors" not in body, (str(field), body)
        assert ids & isolation.collect_ids(body["data"]), f"{field}: the owner does not see its object: {body}"

    # Tenant B asks with tenant A's arguments (when there are any): the most direct attempt.
    crossed = ask(tenant_b_admin, obj_a)
    assert not ids_a & isolation.collect_ids(crossed.get("data")), f"{field}: tenant B sees tenant A's object"
    if not field.required_args:
        assert "errors" not in crossed, (str(field), crossed)
    assert not ids_b & isolation.collect_ids(own_a["data"]), f"{field}: tenant A sees tenant B's object"
