"""Suite-wide fixtures: real databases (owner creates, runtime role runs), tenants and personas.

Personas are named ``tenant_a_admin``, ``tenant_b_guard`` and so on; each is a person of
the matching tenant with the seed role of that name and the password ``pw-<login>-123``.
``platform_operator`` is the operator ``operator`` of the platform tenant, who governs the
installation in the admin and holds no tenant capability.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from apps.core.dbbackend import set_process_kind
from apps.core.tenancy import tenant_context
from apps.people.operators import create_operator
from apps.people.services import create_person, ensure_seed_roles, obtain_tokens
from apps.tenants.models import Tenant
from apps.tenants.services import create_tenant

# RUN_SLOW=1 runs the tests marked slow; without it they are skipped.
pytest_plugins = ["apps.core.pytest_plugin"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """After pytest-django created and migrated the test databases as the schema owner,
    reconnect as the runtime role, which row-level security applies to."""
    app_user, owner_user = settings.TEST_APP_USER, settings.TEST_OWNER_USER  # type: ignore[misc]
    aliases = [alias for alias in connections if connections[alias].settings_dict["NAME"].startswith("test_")]
    with django_db_blocker.unblock():
        for alias in aliases:
            with connections[alias].cursor() as cursor:
                # Only tests flush tables between transactional tests; production never grants this.
                cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app_user}")
            connections[alias].close()
            connections[alias].settings_dict["USER"] = app_user
    yield
    with django_db_blocker.unblock():
        for alias in aliases:
            connections[alias].close()
            connections[alias].settings_dict["USER"] = owner_user


@pytest.fixture(scope="session", autouse=True)
def _drop_broker_keys() -> Iterator[None]:
    """At the end of the run, delete the queues and bookkeeping of this run's broker prefix."""
    yield
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    prefix = settings.TEST_BROKER_KEY_PREFIX  # type: ignore[misc]
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session", autouse=True)
def _command_process() -> None:
    """Run the suite as a management command (no statement timeout), whichever entry point
    its modules import while being collected (``youtility.asgi`` declares a web process);
    tests of the timeouts choose the kind of process themselves."""
    set_process_kind("command")


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Forget this run's cache keys (only ours: FLUSHDB would hit other runs and the broker)."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    pattern = f"{settings.CACHES['default']['KEY_PREFIX']}:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
    yield


@dataclass
class Persona:
    person: Any
    tenant: Tenant
    login: str
    password: str

    def tokens(self, device_id: str = "") -> Any:
        return obtain_tokens(
            tenant_slug=self.tenant.slug, login=self.login, password=self.password, device_id=device_id
        )

    def client(self, device_id: str = "") -> APIClient:
        client = APIClient()
        pair = self.tokens(device_id)
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {pair.access}", **({"HTTP_X_DEVICE_ID": device_id} if device_id else {})
        )
        return client

    def console(self) -> Client:
        """A browser session signed in through the console's form, which the admin uses too."""
        client = Client()
        response = client.post(
            "/login/", {"tenant": self.tenant.slug, "username": self.login, "password": self.password}
        )
        assert response.status_code == 302, response.content
        return client


def make_tenant(slug: str, db_alias: str = "default") -> Tenant:
    tenant = create_tenant(slug=slug, name=slug.title(), db_alias=db_alias)
    with tenant_context(tenant):
        ensure_seed_roles()
    return tenant


def make_persona(tenant: Tenant, role_code: str, login: str | None = None, **fields: Any) -> Persona:
    login = login or role_code
    password = f"pw-{login}-123"
    with tenant_context(tenant):
        roles = ensure_seed_roles()
        person = create_person(
            login=login, name=login.replace("_", " ").title(), password=password, roles=[roles[role_code]], **fields
        )
    return Persona(person=person, tenant=tenant, login=login, password=password)


@pytest.fixture
def tenant_a(db: Any) -> Tenant:
    return make_tenant("alpha")


@pytest.fixture
def tenant_b(db: Any) -> Tenant:
    return make_tenant("bravo")


@pytest.fixture
def tenant_a_admin(tenant_a: Tenant) -> Persona:
    return make_persona(tenant_a, "admin")


@pytest.fixture
def tenant_a_supervisor(tenant_a: Tenant) -> Persona:
    return make_persona(tenant_a, "supervisor")


@pytest.fixture
def tenant_a_guard(tenant_a: Tenant) -> Persona:
    return make_persona(tenant_a, "guard")


@pytest.fixture
def tenant_a_client(tenant_a: Tenant) -> Persona:
    return make_persona(tenant_a, "client_viewer", login="client")


@pytest.fixture
def tenant_b_admin(tenant_b: Tenant) -> Persona:
    return make_persona(tenant_b, "admin")


@pytest.fixture
def tenant_b_guard(tenant_b: Tenant) -> Persona:
    return make_persona(tenant_b, "guard")


@pytest.fixture
def platform_operator(db: Any) -> Persona:
    """A platform operator, made as ``manage.py create_operator`` makes one (apps/people/operators.py)."""
    password = "pw-operator-123"
    result = create_operator(login="operator", password=password, name="Platform Operator")
    return Persona(person=result.person, tenant=result.tenant, login="operator", password=password)


@pytest.fixture
def api() -> APIClient:
    return APIClient()
