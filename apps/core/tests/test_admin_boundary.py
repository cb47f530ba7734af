"""The platform/tenant boundary of the Django admin, over every model registered in it.

Models are read from ``admin.site._registry`` and sorted by ``admin_side``: tenant-owned
(a ``TenantModel``) or the platform's. A model registered tomorrow is tested here the day
it is registered: a tenant model needs rows of two tenants (an isolation factory, see
``apps/core/testing/isolation.py``, or rows every tenant gets when it is created), and a
model that points at a tenant without being tenant-owned fails until its side is decided.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.test import Client
from django.test.utils import isolate_apps
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_celery_results.models import GroupResult, TaskResult

from apps.core.admin_platform import PLATFORM, TENANT, admin_side
from apps.core.checks import check_admin_sides
from apps.core.tenancy import system_context
from apps.core.testing import isolation
from apps.people.models import Person, Role
from apps.sites.models import Site
from apps.tenants.models import Lookup, Tenant

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
TENANT_MODELS = [model for model in REGISTERED if admin_side(model) == TENANT]
PLATFORM_MODELS = [model for model in REGISTERED if admin_side(model) == PLATFORM]
SIGN_IN = "/admin/login/"


def label(model: Any) -> str:
    return str(model._meta.label)


def admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def rows_of(model: Any, tenant_a: Tenant, tenant_b: Tenant) -> tuple[Any, Any]:
    """One row of each tenant: made by the model's isolation factory, or else the rows each
    tenant got when it was created (seed roles). Fails saying where to add a factory."""
    try:
        return (
            isolation.make_object(model, tenant_a, "the Django admin"),
            isolation.make_object(model, tenant_b, "the Django admin"),
        )
    except isolation.MissingFactory as missing:
        with system_context("test: rows a tenant is created with"):
            found = [model.objects.filter(tenant=tenant).order_by("pk").first() for tenant in (tenant_a, tenant_b)]
        if None in found:
            pytest.fail(str(missing))
        return found[0], found[1]


def index_models(response: Any) -> set[str]:
    """The models the admin index (or an app index) lists, by label."""
    return {
        f"{app['app_label']}.{entry['object_name']}" for app in response.context["app_list"] for entry in app["models"]
    }


def versions(model: Any, *rows: Any) -> list[Any]:
    with system_context("test: read rows back"):
        return list(model.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk").values_list("pk", "version"))


@pytest.fixture
def platform_rows(db: Any) -> dict[Any, Any]:
    """One row of every platform model shipped today; models registered later are still
    tested, against an id that does not exist (permission is checked before the lookup)."""
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(name="generate jobs", task="scheduling.generate_jobs", interval=interval)
    return {
        IntervalSchedule: interval,
        PeriodicTask: task,
        CrontabSchedule: CrontabSchedule.objects.create(minute="*/5"),
        SolarSchedule: SolarSchedule.objects.create(event="sunrise", latitude="51.5", longitude="-0.1"),
        ClockedSchedule: ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1)),
        TaskResult: TaskResult.objects.create(
            task_id="a9e0b8c2-task", task_name="scheduling.autoclose_jobs", status="FAILURE", traceback="Traceback"
        ),
        GroupResult: GroupResult.objects.create(group_id="a9e0b8c2-group"),
    }


def platform_pk(model: Any, platform_rows: dict[Any, Any]) -> Any:
    row = platform_rows.get(model)
    if row is None and model is Tenant:
        row = Tenant.objects.order_by("pk").first()
    return row.pk if row is not None else 999_999


# --- Classification -----------------------------------------------------------------------


def test_every_registered_model_is_on_one_side() -> None:
    undecided = [label(model) for model in REGISTERED if admin_side(model) is None]
    assert undecided == []
    assert check_admin_sides() == []
    # Guards the discovery: if these moved, every parametrized case below would too.
    assert {Person, Role, Lookup, Site} <= set(TENANT_MODELS)
    assert {Tenant, PeriodicTask, IntervalSchedule, CrontabSchedule, TaskResult} <= set(PLATFORM_MODELS)
    assert Group not in admin.site._registry  # groups grant nothing here; unregistered


@isolate_apps("apps.core")
def test_a_model_pointing_at_a_tenant_without_being_tenant_owned_is_refused() -> None:
    class Leaky(models.Model):  # noqa: DJ008
        tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)

        class Meta:
            app_label = "core"

    class Neutral(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "core"

    assert (admin_side(Leaky), admin_side(Neutral)) == (None, PLATFORM)
    admin.site.register(Leaky)
    try:
        errors = check_admin_sides()
    finally:
        admin.site.unregister(Leaky)
    assert [(error.id, error.msg) for error in errors] == [
        ("core.E010", "core.Leaky is registered in the admin and points at a tenant, but is not a TenantModel.")
    ]


# --- Tenant admins: their tenant's models, their tenant's rows ------------------------------


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_tenant_admin_lists_only_own_rows_of_each_tenant_model(
    model: Any, tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    row_a, row_b = rows_of(model, tenant_a_admin.tenant, tenant_b_admin.tenant)
    client = tenant_a_admin.console()

    listing = client.get(admin_url(model, "changelist"))
    assert listing.status_code == 200, label(model)
    listed = list(listing.context["cl"].result_list)
    assert row_a.pk in {row.pk for row in listed}, f"{label(model)}: tenant A's row is not listed; vacuous check"
    assert {row.tenant_id for row in listed} == {tenant_a_admin.tenant.pk}
    assert client.get(admin_url(model, "change", row_a.pk)).status_code == 200

    # Tenant B's row is not found: the admin sends the browser back to the index.
    foreign = client.get(admin_url(model, "change", row_b.pk))
    assert (foreign.status_code, foreign["Location"]) == (302, "/admin/")
    before = versions(model, row_b)
    deleting = client.post(admin_url(model, "delete", row_b.pk), {"post": "yes"})
    assert deleting.status_code in {302, 403}
    if deleting.status_code == 302:
        assert deleting["Location"] == "/admin/"
    assert versions(model, row_b) == before  # still there, not deactivated or touched


def test_tenant_admin_index_lists_tenant_models_only(tenant_a_admin: Any) -> None:
    client = tenant_a_admin.console()
    listed = index_models(client.get("/admin/"))
    assert {"people.Person", "people.Role", "tenants.Lookup", "sites.Site"} <= listed
    assert listed <= {label(model) for model in TENANT_MODELS}
    # An app of platform models only has no page for them.
    assert client.get("/admin/django_celery_beat/").status_code == 404
    assert client.get("/admin/django_celery_results/").status_code == 404
    assert index_models(client.get("/admin/tenants/")) == {"tenants.Lookup"}


# --- Tenant admins: no platform model at all -------------------------------------------------


@pytest.mark.parametrize("model", PLATFORM_MODELS, ids=label)
def test_tenant_admin_is_refused_every_page_of_each_platform_model(
    model: Any, tenant_a_admin: Any, platform_rows: dict[Any, Any]
) -> None:
    pk = platform_pk(model, platform_rows)
    client = tenant_a_admin.console()
    pages = [
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", pk),
        admin_url(model, "delete", pk),
        admin_url(model, "history", pk),
    ]
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 403)


def periodic_tasks() -> list[tuple[Any, ...]]:
    return list(PeriodicTask.objects.order_by("pk").values_list("pk", "name", "task", "enabled", "interval_id"))


def new_task_form(interval: IntervalSchedule) -> dict[str, Any]:
    return {
        "name": "stop autoclose",
        "regtask": "",
        "task": "scheduling.autoclose_jobs",
        "enabled": "on",
        "description": "",
        "interval": interval.pk,
        "args": "[]",
        "kwargs": "{}",
        "headers": "{}",
        "expire_seconds": "",
        "queue": "",
        "exchange": "",
        "routing_key": "",
        "priority": "",
    }


def test_tenant_admin_cannot_create_disable_run_or_delete_a_periodic_task(
    tenant_a_admin: Any, platform_operator: Any, platform_rows: dict[Any, Any]
) -> None:
    task, interval = platform_rows[PeriodicTask], platform_rows[IntervalSchedule]
    before = periodic_tasks()
    client = tenant_a_admin.console()

    attempts = {
        "add": client.post(admin_url(PeriodicTask, "add"), new_task_form(interval)),
        "disable": client.post(admin_url(PeriodicTask, "change", task.pk), {**new_task_form(interval), "enabled": ""}),
        "delete": client.post(admin_url(PeriodicTask, "delete", task.pk), {"post": "yes"}),
    }
    for action in ("disable_tasks", "run_tasks", "delete_selected"):
        attempts[action] = client.post(
            admin_url(PeriodicTask, "changelist"), {"action": action, "_selected_action": [task.pk], "post": "yes"}
        )
    assert {name: response.status_code for name, response in attempts.items()} == dict.fromkeys(attempts, 403)
    assert periodic_tasks() == before

    # The very same form from an operator creates the task: the refusal was not a bad form.
    created = platform_operator.console().post(admin_url(PeriodicTask, "add"), new_task_form(interval))
    assert created.status_code == 302, created.context["adminform"].form.errors if created.context else None
    assert PeriodicTask.objects.filter(name="stop autoclose", task="scheduling.autoclose_jobs").count() == 1


# --- Platform operators: the platform's models, no tenant's ---------------------------------


@pytest.mark.parametrize("model", PLATFORM_MODELS, ids=label)
def test_operator_gets_each_platform_changelist(
    model: Any, platform_operator: Any, tenant_a: Tenant, platform_rows: dict[Any, Any]
) -> None:
    listing = platform_operator.console().get(admin_url(model, "changelist"))
    assert listing.status_code == 200, label(model)
    row = platform_rows.get(model) or (tenant_a if model is Tenant else None)
    if row is not None:
        assert row.pk in {listed.pk for listed in listing.context["cl"].result_list}


def test_operator_is_refused_every_tenant_model(platform_operator: Any, tenant_a_admin: Any) -> None:
    client = platform_operator.console()
    person = tenant_a_admin.person
    refused = {label(model): client.get(admin_url(model, "changelist")).status_code for model in TENANT_MODELS}
    assert refused == dict.fromkeys(refused, 403)
    assert client.get(admin_url(Person, "change", person.pk)).status_code == 403
    assert client.get("/admin/people/").status_code == 404


def test_operator_signs_in_through_the_console_and_lands_on_the_platform_models(platform_operator: Any) -> None:
    client = Client()
    signed_in = client.post(
        "/login/", {"tenant": "platform", "username": "operator", "password": platform_operator.password}
    )
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")
    index = client.get("/admin/")
    assert index.status_code == 200
    listed = index_models(index)
    assert {"tenants.Tenant", "django_celery_beat.PeriodicTask", "django_celery_results.TaskResult"} <= listed
    assert listed <= {label(model) for model in PLATFORM_MODELS}
    assert index_models(client.get("/admin/tenants/")) == {"tenants.Tenant"}


def test_operator_may_switch_a_tenant_off_but_not_add_or_delete_one(platform_operator: Any, tenant_a: Tenant) -> None:
    client = platform_operator.console()
    assert client.get(admin_url(Tenant, "add")).status_code == 403
    assert client.get(admin_url(Tenant, "delete", tenant_a.pk)).status_code == 403
    changed = client.post(
        admin_url(Tenant, "change", tenant_a.pk), {"name": "Alpha", "timezone": "UTC", "settings": "{}"}
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors if changed.context else None
    tenant_a.refresh_from_db()
    assert (tenant_a.slug, tenant_a.name, tenant_a.db_alias, tenant_a.is_active) == ("alpha", "Alpha", "default", False)


# --- Everyone else: nothing ------------------------------------------------------------------


@pytest.mark.parametrize("persona_name", ["tenant_a_supervisor", "tenant_a_guard", "tenant_a_client"])
def test_people_without_admin_manage_get_nothing(
    persona_name: str, request: pytest.FixtureRequest, platform_rows: dict[Any, Any]
) -> None:
    persona = request.getfixturevalue(persona_name)
    client = persona.console()
    index = client.get("/admin/")
    assert (index.status_code, index["Location"]) == (302, "/admin/login/?next=/admin/")
    pages = {admin_url(model, "changelist"): None for model in REGISTERED}
    answers = {page: client.get(page) for page in pages}
    assert {page: response.status_code for page, response in answers.items()} == dict.fromkeys(pages, 302)
    assert {response["Location"].split("?")[0] for response in answers.values()} == {SIGN_IN}
    before = periodic_tasks()
    posted = client.post(admin_url(PeriodicTask, "add"), new_task_form(platform_rows[IntervalSchedule]))
    assert posted.status_code == 302
    assert periodic_tasks() == before
