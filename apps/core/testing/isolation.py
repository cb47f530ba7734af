"""Tenant-isolation checks that cover every endpoint without listing them by hand.

Each app registers, in ``apps/<app>/tests/factories.py``, one factory per tenant-owned
model::

    @isolation_factory(Site)
    def make_site(tenant: Tenant) -> Site:
        return services.create_site(code=f"S-{uuid4().hex[:8]}", name="Isolation site")

The factory runs inside ``tenant_context(tenant)`` and returns a saved object of that
tenant. ``apps/core/tests/test_isolation.py`` then discovers every REST ``list`` and
``retrieve`` route under ``/api/v1/`` and every GraphQL query field returning a Django
object type, makes one object per tenant, and proves each tenant's admin sees its own
object and never the other tenant's. A route or field whose model has no factory fails
with a message saying where to add one, so a new endpoint cannot skip the check.

Two explicit, reviewed escapes, both declared in the same factories module:

- ``isolation_graphql_args("field")`` supplies the required arguments of a GraphQL
  field, built from the object under test (tenant B's admin is then asked for tenant A's
  object by id, the most direct attempt to cross tenants);
- ``isolation_exempt("rest:<url name>" | "graphql:<field>", reason=...)`` excludes a
  route or field that serves no tenant-owned data; the test reports it as skipped with
  the reason.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from graphql import get_named_type, is_non_null_type
from graphql.pyutils import Undefined
from rest_framework.viewsets import ViewSetMixin

from apps.core.tenancy import tenant_context

API_PREFIX = "api/v1/"

Factory = Callable[[Any], models.Model]
ArgsBuilder = Callable[[models.Model], dict[str, Any]]
F = TypeVar("F", bound=Callable[..., Any])

_factories: dict[type[models.Model], Factory] = {}
_graphql_args: dict[str, ArgsBuilder] = {}
_exemptions: dict[str, str] = {}
_loaded = False


class MissingFactory(LookupError):
    """A tenant-owned model is served by an endpoint but has no isolation factory."""


def isolation_factory(model: type[models.Model]) -> Callable[[F], F]:
    """Register ``make(tenant) -> instance`` as the way to create a ``model`` for isolation tests."""

    def register(factory: F) -> F:
        existing = _factories.get(model)
        if existing is not None and existing is not factory:
            raise ValueError(f"An isolation factory for {model._meta.label} is already registered: {existing!r}.")
        _factories[model] = factory
        return factory

    return register


def isolation_graphql_args(field_name: str) -> Callable[[F], F]:
    """Register ``args(obj) -> {argument: value}`` for a GraphQL field with required arguments."""

    def register(builder: F) -> F:
        _graphql_args[field_name] = builder
        return builder

    return register


def isolation_exempt(target: str, *, reason: str) -> None:
    """Exclude ``rest:<url name>`` or ``graphql:<field>`` from the isolation test, saying why."""
    if not target.startswith(("rest:", "graphql:")):
        raise ValueError(f"Exemption target must start with 'rest:' or 'graphql:', got {target!r}.")
    if not reason.strip():
        raise ValueError(f"Exempting {target} needs a reason.")
    _exemptions[target] = reason


def exemption(target: str) -> str | None:
    load_factories()
    return _exemptions.get(target)


def graphql_args_builder(field_name: str) -> ArgsBuilder | None:
    load_factories()
    return _graphql_args.get(field_name)


def load_factories() -> None:
    """Import ``<app>.tests.factories`` of every installed app under ``apps/`` (once)."""
    global _loaded
    if _loaded:
        return
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        if importlib.util.find_spec(f"{config.name}.tests") is None:
            continue
        module = f"{config.name}.tests.factories"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _loaded = True


def factories_path(model: type[models.Model]) -> str:
    """Where the factory of ``model`` belongs, relative to the repository root."""
    return f"{model._meta.app_config.name.replace('.', '/')}/tests/factories.py"  # type: ignore[union-attr]


def missing_factory_message(model: type[models.Model], served_by: str) -> str:
    return (
        f"{model._meta.label} is tenant-owned and served by {served_by}, but has no isolation factory. "
        f"Register one in {factories_path(model)}:\n\n"
        f"    from apps.core.testing import isolation_factory\n\n"
        f"    @isolation_factory({model.__name__})\n"
        f"    def make_{model._meta.model_name}(tenant):\n"
        f"        return <create a {model.__name__} through its service>\n"
    )


def make_object(model: type[models.Model], tenant: Any, served_by: str) -> models.Model:
    """Create a ``model`` of ``tenant`` with its registered factory; raise ``MissingFactory`` if none."""
    load_factories()
    factory = _factories.get(model)
    if factory is None:
        raise MissingFactory(missing_factory_message(model, served_by))
    with tenant_context(tenant):
        obj = factory(tenant)
    if not isinstance(obj, model) or obj.pk is None:
        raise TypeError(f"The isolation factory of {model._meta.label} must return a saved {model.__name__}.")
    if obj.tenant_id != tenant.pk:  # type: ignore[attr-defined]
        raise ValueError(f"The isolation factory of {model._meta.label} returned an object of another tenant.")
    return obj


def identifiers(obj: models.Model, *extra: Any) -> set[str]:
    """The ways an API can name ``obj``: primary key, client uuid, and any extra values given."""
    values = {str(obj.pk), *(str(value) for value in extra)}
    uuid = getattr(obj, "uuid", None)
    if uuid is not None:
        values.add(str(uuid))
    return values


# --- REST ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestRoute:
    """One ``list`` or ``retrieve`` route of a DRF viewset under ``/api/v1/``."""

    url_name: str
    action: str
    viewset: type
    route: str
    extra_kwargs: tuple[str, ...]

    @property
    def target(self) -> str:
        return f"rest:{self.url_name}"

    @property
    def lookup_field(self) -> str:
        return str(getattr(self.viewset, "lookup_field", "pk"))

    @property
    def lookup_kwarg(self) -> str:
        return str(getattr(self.viewset, "lookup_url_kwarg", None) or self.lookup_field)

    @property
    def model(self) -> type[models.Model] | None:
        queryset = getattr(self.viewset, "queryset", None)
        return queryset.model if queryset is not None else None

    def lookup_value(self, obj: models.Model) -> Any:
        value: Any = obj
        for part in self.lookup_field.split("__"):
            value = getattr(value, part)
        return value

    def path(self, obj: models.Model | None = None) -> str:
        """The list path, or the detail path of ``obj`` (``{<lookup>}`` when no object is given)."""
        if self.action == "list":
            return reverse(self.url_name)
        return self.path_for(self.lookup_value(obj) if obj is not None else f"{{{self.lookup_kwarg}}}")

    def path_for(self, value: Any) -> str:
        return reverse(self.url_name, kwargs={self.lookup_kwarg: value})

    def __str__(self) -> str:
        return f"GET {unquote(self.path())}" if not self.extra_kwargs else f"GET /{self.route}"


def _walk(
    patterns: Iterable[URLPattern | URLResolver], route: str = "", namespace: str | None = None
) -> Iterator[tuple[URLPattern, str, str | None]]:
    for pattern in patterns:
        part = str(pattern.pattern).lstrip("^")
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route + part, ns)
        else:
            yield pattern, route + part, namespace


def rest_routes() -> list[RestRoute]:
    """Every GET ``list``/``retrieve`` route of a viewset under ``/api/v1/``, in URLconf order."""
    found: dict[tuple[str, str], RestRoute] = {}
    for pattern, route, namespace in _walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX):
            continue
        callback = pattern.callback
        viewset = getattr(callback, "cls", None)
        if not (isinstance(viewset, type) and issubclass(viewset, ViewSetMixin)):
            continue
        action = (getattr(callback, "actions", None) or {}).get("get")
        if action not in {"list", "retrieve"}:
            continue
        groups = set(pattern.pattern.regex.groupindex)
        if "format" in groups:
            continue  # a format-suffix twin of a route already listed
        if pattern.name is None:
            raise ValueError(f"The viewset route /{route} has no URL name; register it through a router.")
        url_name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        lookup = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        extra = tuple(sorted(groups - ({lookup} if action == "retrieve" else set())))
        found.setdefault(
            (url_name, action),
            RestRoute(url_name=url_name, action=action, viewset=viewset, route=route, extra_kwargs=extra),
        )
    return list(found.values())


def response_items(body: Any) -> list[dict[str, Any]]:
    """The objects of a list response, paginated (``results``) or not."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return body["results"]
    if isinstance(body, list):
        return body
    raise AssertionError(f"A list response must be a list or a page with 'results', got {body!r}.")


def item_identifiers(item: dict[str, Any], lookup_field: str) -> set[str]:
    return {str(item[key]) for key in ("id", "uuid", lookup_field) if item.get(key) is not None}


# --- GraphQL ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphQLField:
    """A field of the Query type whose type unwraps to a Django object type (or a connection of one)."""

    name: str
    type_name: str
    model: type[models.Model]
    connection: bool
    required_args: tuple[tuple[str, str], ...]
    has_id: bool

    @property
    def target(self) -> str:
        return f"graphql:{self.name}"

    def query(self) -> str:
        selection = "edges { node { id } }" if self.connection else "id"
        if not self.required_args:
            return f"query Isolation {{ {self.name} {{ {selection} }} }}"
        variables = ", ".join(f"${arg}: {type_}" for arg, type_ in self.required_args)
        arguments = ", ".join(f"{arg}: ${arg}" for arg, _ in self.required_args)
        return f"query Isolation({variables}) {{ {self.name}({arguments}) {{ {selection} }} }}"

    def identifiers(self, obj: models.Model) -> set[str]:
        from graphql_relay import to_global_id

        return identifiers(obj, to_global_id(self.type_name, str(obj.pk)))

    def __str__(self) -> str:
        return f"Query.{self.name}"


def graphql_fields(schema: Any = None) -> list[GraphQLField]:
    """Every Query field returning a DjangoObjectType (possibly in lists, non-null, or a connection)."""
    import graphene
    from graphene_django import DjangoObjectType

    if schema is None:
        from youtility.schema import schema

    fields: list[GraphQLField] = []
    for name, field in schema.graphql_schema.query_type.fields.items():
        named = get_named_type(field.type)
        graphene_type: Any = getattr(named, "graphene_type", None)
        connection = _is_subclass(graphene_type, graphene.relay.Connection)
        if connection:
            graphene_type = graphene_type._meta.node
        if not _is_subclass(graphene_type, DjangoObjectType):
            continue
        meta: Any = graphene_type._meta
        node_type = schema.graphql_schema.get_type(meta.name)
        required = tuple(
            (arg_name, str(arg.type))
            for arg_name, arg in field.args.items()
            if is_non_null_type(arg.type) and arg.default_value is Undefined
        )
        fields.append(
            GraphQLField(
                name=name,
                type_name=meta.name,
                model=meta.model,
                connection=connection,
                required_args=required,
                has_id="id" in getattr(node_type, "fields", {}),
            )
        )
    return fields


def _is_subclass(value: Any, base: type) -> bool:
    return isinstance(value, type) and issubclass(value, base)


def collect_ids(data: Any) -> set[str]:
    """Every ``id`` value anywhere in a GraphQL ``data`` tree."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "id" and value is not None:
                found.add(str(value))
            else:
                found |= collect_ids(value)
    elif isinstance(data, list):
        for value in data:
            found |= collect_ids(value)
    return found
