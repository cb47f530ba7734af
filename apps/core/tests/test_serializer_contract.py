"""Every writable field of every create and update serializer reaches its service.

For each ``create`` and ``partial_update`` of every viewset under ``/api/v1/`` (discovered,
see ``apps/core/testing/contract.py``), each writable field is sent on its own (with a
valid base body on create) and the object is read back: the value must be stored. A
field the serializer marks write-only is sent and must be accepted (its check, when the
table gives one, proves the effect). A field the service legitimately refuses to change
must be refused with a code, which shows it was read.

Plain fields get plain values; the rest come from ``VALUES`` below, one table for the
whole API, so a new field that needs a specific value fails here until it has an entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from apps.checklists.models import AnswerType, Checklist
from apps.core.tenancy import tenant_context
from apps.core.testing import contract, isolation
from apps.helpdesk.tests.factories import make_category, photo
from apps.notifications.services import create_webhook
from apps.scheduling.tests import factories as f
from apps.sites.models import Location
from apps.tenants.models import Lookup
from apps.tenants.services import create_lookup

OPERATIONS = contract.write_operations()


class World:
    """What the table's values refer to: a site with its people and things, in one tenant."""

    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant
        with tenant_context(tenant):
            self.site = f.make_site(tz="Asia/Kolkata")
            self.other_site = f.make_site(client=self.site.client)
            self.client = self.site.client
            self.other_client = f.make_site().client
            self.group = f.make_site_group([self.site, self.other_site])
            self.reversed_group = f.make_site_group([self.other_site, self.site])
            self.guard = f.make_guard(self.site, group=self.group)
            self.other_guard = f.make_guard(self.site, group=self.group)
            self.supervisor = f.make_person("supervisor", home_site_id=self.site.pk)
            self.team = f.make_team(self.guard)
            self.other_team = f.make_team(self.other_guard)
            self.checkpoints = [f.make_checkpoint(self.site) for _ in range(2)]
            self.asset = f.make_asset(self.site)
            self.parent_asset = f.make_asset(self.site)
            self.area = Location.objects.create(site=self.site, code=f"A-{uuid4().hex[:6]}", name="Area")
            self.parent_area = Location.objects.create(site=self.site, code=f"P-{uuid4().hex[:6]}", name="Wing")
            self.checklist = f.make_checklist()
            self.maintenance_checklist = f.make_checklist(Checklist.Kind.ASSET_MAINTENANCE)
            version = self.checklist.current_version
            assert version is not None
            self.question = version.sections.get().items.get().question
            self.category = make_category(f"C{uuid4().hex[:6]}", "Security")
            self.other_category = make_category(f"C{uuid4().hex[:6]}", "Cleaning")
            self.lookups = {
                kind: create_lookup(kind=kind, code=f"L-{uuid4().hex[:6]}", name=kind.title())
                for kind in (Lookup.Kind.DEPARTMENT, Lookup.Kind.DESIGNATION, Lookup.Kind.ASSET_CLASS)
            }

    def point(self, lon: float = 77.6, lat: float = 12.9) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [lon, lat]}

    def square(self, lon: float = 77.6, lat: float = 12.9, half: float = 0.01) -> dict[str, Any]:
        ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
        return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _soon(hours: int) -> str:
    return (timezone.now() + timedelta(hours=hours)).replace(microsecond=0).isoformat()


# --- the table ------------------------------------------------------------------------------

Maker = Callable[[World], Any]


@dataclass
class Value:
    """How to send one field: ``send`` (a value, or a function of the world), other fields it
    needs (``extra``), what the read shows when it differs (``expect``), where the read
    shows it (``read``), or, for a change the service refuses by rule, its ``refused`` code."""

    send: Any
    extra: dict[str, Any] | Maker = field(default_factory=dict)
    expect: Any = None
    read: Callable[[dict[str, Any]], Any] | None = None
    refused: str | None = None
    check: Callable[[World, Any, Any], None] | None = None  # (world, persona, read) for write-only fields
    multipart: bool = False  # files travel only in a multipart body
    target: Maker | None = None  # for an update: the object to change, when the usual one will not do


def _schedule_tour(w: World) -> dict[str, Any]:
    return {"kind": "INTERNAL_TOUR", "checklist": w.checklist.pk, "stops": [{"checkpoint": w.checkpoints[0].pk}]}


def _external(w: World) -> dict[str, Any]:
    return {"kind": "EXTERNAL_TOUR", "site": None, "site_group": w.group.pk}


def _ppm(w: World) -> dict[str, Any]:
    return {"kind": "PPM", "asset": w.asset.pk, "checklist": w.maintenance_checklist.pk}


def _password_set(w: World, persona: Any, read: Any) -> None:
    from apps.people.models import Person

    with tenant_context(w.tenant):
        assert Person.objects.get(pk=read["id"]).check_password("Contract-pass-9931")


def _one_photo(w: World) -> dict[str, Any]:
    return {"photos": [photo("where.png")]}


def _ticket_files(persona: Any, ticket_id: Any) -> list[dict[str, Any]]:
    response = persona.client().get(f"/api/v1/tickets/{ticket_id}/attachments/")
    assert response.status_code == 200, response.content
    return list(response.json())


def _has_one_photo(w: World, persona: Any, read: Any) -> None:
    assert [file["kind"] for file in _ticket_files(persona, read["id"])] == ["PHOTO"]


_persona_for_reads: list[Any] = []


def _first_photo_point(read: dict[str, Any]) -> Any:
    return _ticket_files(_persona_for_reads[-1], read["id"])[0]["point"]


def _first_version_items(body: dict[str, Any]) -> Any:
    return [
        {"title": section["title"], "items": [{"question_id": item["question"]["id"]} for item in section["items"]]}
        for section in body["current_version"]["sections"]
    ]


# The object an update changes, when the isolation factory's would not do (a schedule's
# assignee must be able to work at the sites the test moves it to).
TARGETS: dict[str, Maker] = {
    "schedules": lambda w: f.make_schedule(site=w.site, assignee_person=w.guard, cron="0 9 * * *"),
    "webhooks": lambda w: create_webhook(None, url=PUBLIC_URL, events=["alert.*"])[0],
}
# An address on the public internet, so a webhook needs no private-network allowance (and
# is never called: nothing is delivered during these tests).
PUBLIC_URL = "https://93.184.215.14/hooks"


def _external_tour(w: World) -> Any:
    return f.make_schedule(kind="EXTERNAL_TOUR", site_group=w.group, assignee_person=w.guard, cron="0 9 * * *")


def _tour(w: World) -> Any:
    return f.make_tour(2, site=w.site, assignee_person=w.guard, cron="0 9 * * *")


def _maintenance(w: World) -> Any:
    return f.make_schedule(
        kind="PPM", site=w.site, asset=w.asset, checklist=w.maintenance_checklist, assignee_person=w.guard
    )


def _grace_of(read: dict[str, Any]) -> int:
    from django.utils.dateparse import parse_datetime

    plan, expires = parse_datetime(read["plan_at"]), parse_datetime(read["expires_at"])
    assert plan is not None and expires is not None
    return int((expires - plan).total_seconds() // 60) - int(read["duration_minutes"])


def _site_report(w: World) -> int:
    return f.make_checklist(Checklist.Kind.SITE_REPORT).pk


# Keys: (resource, field) for both doors, or (resource, field, action) for one of them.
VALUES: dict[tuple[str, ...], Value] = {
    # sites
    ("sites", "client"): Value(lambda w: w.other_client.pk),
    ("sites", "location"): Value(lambda w: w.point(77.61, 12.91), extra={"geofence": None}),
    ("sites", "geofence"): Value(lambda w: w.square(), extra=lambda w: {"location": w.point()}),
    ("sites", "timezone"): Value("Asia/Tokyo"),
    ("sites", "in_charge"): Value(lambda w: w.supervisor.pk),
    ("sites", "options"): Value({"geofence_blocks_punch": True}),
    ("clients", "preferences"): Value({"report_language": "en"}),
    ("site-groups", "sites"): Value(lambda w: [w.other_site.pk, w.site.pk]),
    ("shifts", "site"): Value(lambda w: w.other_site.pk),
    ("shifts", "headcount"): Value(3),
    ("shifts", "designation"): Value(lambda w: w.lookups[Lookup.Kind.DESIGNATION].pk),
    ("locations", "site"): Value(lambda w: w.other_site.pk, extra={"parent": None}),
    ("locations", "parent"): Value(lambda w: w.parent_area.pk, extra=lambda w: {"site": w.site.pk}),
    ("site-assignments", "person"): Value(lambda w: w.supervisor.pk),
    ("site-assignments", "site"): Value(lambda w: w.other_site.pk),
    ("site-assignments", "site_group"): Value(
        lambda w: w.group.pk, extra=lambda w: {"site": None, "person": w.supervisor.pk}
    ),
    # people
    ("people", "roles"): Value(["supervisor"]),
    ("people", "home_site"): Value(lambda w: w.site.pk),
    ("people", "reports_to"): Value(lambda w: w.supervisor.pk),
    ("people", "department"): Value(lambda w: w.lookups[Lookup.Kind.DEPARTMENT].pk),
    ("people", "designation"): Value(lambda w: w.lookups[Lookup.Kind.DESIGNATION].pk),
    ("people", "client"): Value(lambda w: w.client.pk),
    ("people", "password"): Value("Contract-pass-9931", check=_password_set),
    ("teams", "members"): Value(lambda w: [{"person": w.guard.pk, "is_lead": True}, {"person": w.other_guard.pk}]),
    # The serializer refuses another kind (rows elsewhere point at the entry as that kind).
    ("lookups", "kind", "partial_update"): Value("DESIGNATION", refused="invalid"),
    ("lookups", "position"): Value(5),
    # assets and checkpoints
    ("assets", "site"): Value(lambda w: w.site.pk, extra={"area": None, "parent": None}),
    ("assets", "area"): Value(lambda w: w.area.pk, extra=lambda w: {"site": w.site.pk}),
    ("assets", "parent"): Value(lambda w: w.parent_asset.pk, extra=lambda w: {"site": w.site.pk}),
    ("assets", "asset_class"): Value(lambda w: w.lookups[Lookup.Kind.ASSET_CLASS].pk),
    ("assets", "location"): Value(lambda w: w.point()),
    ("assets", "meter"): Value({"unit": "kWh", "min": 0, "max": 500, "multiplier": 1}),
    ("checkpoints", "site"): Value(lambda w: w.site.pk, extra={"area": None, "parent": None}),
    ("checkpoints", "area"): Value(lambda w: w.area.pk, extra=lambda w: {"site": w.site.pk}),
    ("checkpoints", "parent"): Value(lambda w: w.checkpoints[1].pk, extra=lambda w: {"site": w.site.pk}),
    ("checkpoints", "asset_class"): Value(lambda w: w.lookups[Lookup.Kind.ASSET_CLASS].pk),
    ("checkpoints", "location"): Value(lambda w: w.point()),
    ("checkpoints", "meter"): Value({"unit": "kWh"}),
    # questions and checklists
    ("questions", "answer_type"): Value(AnswerType.RATING),
    ("questions", "options"): Value(["Red", "Green"], extra={"answer_type": AnswerType.DROPDOWN}),
    ("questions", "alert_on"): Value(["Red"], extra={"answer_type": AnswerType.DROPDOWN, "options": ["Red", "Green"]}),
    ("questions", "min_value"): Value("1.5", extra={"answer_type": AnswerType.NUMERIC}),
    ("questions", "max_value"): Value("99.25", extra={"answer_type": AnswerType.NUMERIC}),
    ("checklists", "sections"): Value(
        lambda w: [{"title": "Gate", "items": [{"question_id": w.question.pk}]}], read=_first_version_items
    ),
    ("checklists", "code", "partial_update"): Value("OTHER-CODE", refused="code_immutable"),
    # scheduling
    ("schedules", "kind", "partial_update"): Value("PPM", refused="kind_invalid"),
    ("schedules", "kind", "create"): Value("SITE_REPORT", extra=lambda w: {"checklist": _site_report(w)}),
    ("schedules", "site"): Value(lambda w: w.other_site.pk),
    ("schedules", "site_group", "create"): Value(lambda w: w.group.pk, extra=_external),
    ("schedules", "site_group", "partial_update"): Value(lambda w: w.reversed_group.pk, target=_external_tour),
    ("schedules", "cron"): Value("30 6 * * 1-5"),
    ("schedules", "valid_from"): Value(lambda w: _soon(2)),
    ("schedules", "valid_until"): Value(lambda w: _soon(24 * 30)),
    ("schedules", "duration_minutes"): Value(45),
    ("schedules", "grace_minutes"): Value(20),
    ("schedules", "assignee_person"): Value(lambda w: w.other_guard.pk),
    ("schedules", "assignee_team"): Value(lambda w: w.team.pk, extra={"assignee_person": None}),
    ("schedules", "checklist"): Value(lambda w: w.checklist.pk),
    ("schedules", "asset"): Value(lambda w: w.asset.pk),
    ("schedules", "is_dynamic", "create"): Value(True, extra=lambda w: {**_schedule_tour(w), "cron": ""}),
    ("schedules", "is_dynamic", "partial_update"): Value(True, extra={"cron": ""}, target=_tour),
    ("schedules", "random_order", "create"): Value(True, extra=_external),
    ("schedules", "rounds", "create"): Value(2, extra=_external),
    ("schedules", "break_minutes", "create"): Value(15, extra=_external),
    ("schedules", "travel_minutes", "create"): Value(25, extra=_external),
    ("schedules", "reminder_offsets", "create"): Value([1440, 60], extra=_ppm),
    ("schedules", "notify_person_ids", "create"): Value(lambda w: [w.supervisor.pk], extra=_ppm),
    ("schedules", "random_order", "partial_update"): Value(True, target=_external_tour),
    ("schedules", "rounds", "partial_update"): Value(2, target=_external_tour),
    ("schedules", "break_minutes", "partial_update"): Value(15, target=_external_tour),
    ("schedules", "travel_minutes", "partial_update"): Value(25, target=_external_tour),
    ("schedules", "reminder_offsets", "partial_update"): Value([1440, 60], target=_maintenance),
    ("schedules", "notify_person_ids", "partial_update"): Value(lambda w: [w.supervisor.pk], target=_maintenance),
    ("schedules", "ticket_category"): Value(lambda w: w.category.pk),
    ("schedules", "stops", "create"): Value(
        lambda w: [{"checkpoint": w.checkpoints[1].pk, "offset_minutes": 5}, {"checkpoint": w.checkpoints[0].pk}],
        extra=lambda w: {"kind": "INTERNAL_TOUR", "checklist": w.checklist.pk},
    ),
    ("schedules", "stops", "partial_update"): Value(
        lambda w: [{"checkpoint": w.checkpoints[1].pk, "offset_minutes": 5}, {"checkpoint": w.checkpoints[0].pk}],
        target=_tour,
    ),
    ("jobs", "site"): Value(lambda w: w.site.pk),
    ("jobs", "plan_at"): Value(lambda w: _soon(3)),
    ("jobs", "duration_minutes"): Value(40),
    # Not read back as such: it moves the job's expiry (plan + duration + grace).
    ("jobs", "grace_minutes"): Value(25, read=_grace_of),
    ("jobs", "assignee_person"): Value(lambda w: w.other_guard.pk),
    ("jobs", "assignee_team"): Value(lambda w: w.team.pk, extra={"assignee_person": None}),
    ("jobs", "checklist"): Value(lambda w: w.checklist.pk),
    ("jobs", "asset"): Value(lambda w: w.asset.pk),
    # NOC and helpdesk
    ("maintenance-windows", "site"): Value(lambda w: w.other_site.pk),
    ("maintenance-windows", "starts_at"): Value(lambda w: _soon(0)),
    ("maintenance-windows", "ends_at"): Value(lambda w: _soon(30)),
    ("escalation-rules", "category"): Value(lambda w: w.other_category.pk),
    ("escalation-rules", "level"): Value(3),
    ("escalation-rules", "wait_minutes"): Value(90),
    ("escalation-rules", "assignee_person"): Value(lambda w: w.supervisor.pk),
    ("escalation-rules", "assignee_team"): Value(lambda w: w.team.pk, extra={"assignee_person": None}),
    ("escalation-rules", "notify_people"): Value(lambda w: [w.supervisor.pk]),
    ("escalation-rules", "notify_teams"): Value(lambda w: [w.team.pk]),
    ("sla-policies", "category"): Value(lambda w: w.other_category.pk),
    ("sla-policies", "resolve_within_minutes"): Value(480),
    ("sla-policies", "priority"): Value("URGENT"),
    ("tickets", "priority"): Value("URGENT"),
    ("tickets", "site"): Value(lambda w: w.other_site.pk),
    ("tickets", "category"): Value(lambda w: w.category.pk),
    ("tickets", "assignee_person"): Value(lambda w: w.supervisor.pk),
    ("tickets", "assignee_team"): Value(lambda w: w.team.pk),
    ("tickets", "point"): Value(lambda w: w.point(), read=_first_photo_point, multipart=True, extra=_one_photo),
    ("tickets", "photos"): Value(lambda w: [photo("gate.png")], multipart=True, check=_has_one_photo),
    # notifications
    ("webhooks", "url"): Value(f"{PUBLIC_URL}/other"),
    ("webhooks", "events"): Value(["ticket.*", "alert.created"]),
}


# A valid body for each create, to which one field at a time is added.
BASES: dict[str, Maker] = {
    "clients": lambda w: {"code": _code(), "name": "Contract client"},
    "sites": lambda w: {"client": w.client.pk, "code": _code(), "name": "Contract site", "location": w.point()},
    "site-groups": lambda w: {"code": _code(), "name": "Contract route", "sites": [w.site.pk]},
    "shifts": lambda w: {"site": w.site.pk, "name": f"Shift {_code()}", "start_time": "06:00", "end_time": "14:00"},
    "locations": lambda w: {"site": w.site.pk, "code": _code(), "name": "Contract area"},
    "site-assignments": lambda w: {"person": w.guard.pk, "site": w.other_site.pk},
    "people": lambda w: {"login": _code().lower(), "name": "Contract Person"},
    "teams": lambda w: {"code": _code(), "name": "Contract team"},
    "lookups": lambda w: {"kind": "DEPARTMENT", "code": _code(), "name": "Contract department"},
    "assets": lambda w: {"code": _code(), "name": "Contract asset", "site": w.site.pk},
    "checkpoints": lambda w: {"code": _code(), "name": "Contract checkpoint", "site": w.site.pk},
    "questions": lambda w: {"code": _code(), "text": "Contract question?", "answer_type": AnswerType.SINGLE_LINE},
    "checklists": lambda w: {
        "code": _code(),
        "name": "Contract checklist",
        "sections": [{"title": "Main", "items": [{"question_id": w.question.pk}]}],
    },
    "schedules": lambda w: {
        "name": "Contract schedule",
        "kind": "TASK",
        "site": w.site.pk,
        "cron": "0 9 * * *",
        "valid_from": _soon(1),
        "assignee_person": w.guard.pk,
    },
    "jobs": lambda w: {"site": w.site.pk, "title": "Contract job", "plan_at": _soon(2), "assignee_person": w.guard.pk},
    "maintenance-windows": lambda w: {
        "site": w.site.pk,
        "starts_at": _soon(1),
        "ends_at": _soon(5),
        "reason": "Contract servicing",
    },
    "escalation-rules": lambda w: {"category": make_category(_code()).pk, "level": 1, "wait_minutes": 30},
    "sla-policies": lambda w: {"category": w.category.pk, "priority": "HIGH", "resolve_within_minutes": 240},
    "tickets": lambda w: {"site": w.site.pk, "title": "Contract ticket"},
    "webhooks": lambda w: {"url": PUBLIC_URL, "events": ["alert.*"]},
}


def _code() -> str:
    return f"K-{uuid4().hex[:8]}"


def _made(value: Any, world: World) -> Any:
    return value(world) if callable(value) else value


def _entry(op: contract.WriteOperation, name: str) -> Value | None:
    return VALUES.get((op.resource, name, op.action)) or VALUES.get((op.resource, name))


def _detail(client: Any, op: contract.WriteOperation, pk: Any) -> dict[str, Any]:
    response = client.get(f"{op.list_path}{pk}/")
    assert response.status_code == 200, (str(op), response.content)
    return response.json()


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_writable_field_reaches_its_service(
    op: contract.WriteOperation, tenant_a_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    tenant = tenant_a_admin.tenant
    client = tenant_a_admin.client()
    client.raise_request_exception = False
    _persona_for_reads.append(tenant_a_admin)
    world = World(tenant)
    failures: list[str] = []
    for name, schema in op.fields().items():
        entry = _entry(op, name)
        with tenant_context(tenant):
            # A fresh object per field, so one field's change cannot get in another's way.
            target = _target(op, entry, world) if op.action == "partial_update" else None
            current = _detail(client, op, target.pk).get(name) if target is not None else None
            if entry is not None:
                values, extra = [_made(entry.send, world)], _made(entry.extra, world)
            else:
                try:
                    values, extra = contract.generic_value(schema, current), {}
                except contract.NoGenericValue as exc:
                    failures.append(f"{name}: needs an entry VALUES[({op.resource!r}, {name!r})] ({exc})")
                    continue
            bodies = [
                {**(BASES[op.resource](world) if target is None else {}), **extra, name: value} for value in values
            ]
        path = op.list_path if target is None else f"{op.list_path}{target.pk}/"
        for value, body in zip(values, bodies, strict=True):
            # On-commit work (cache invalidation) runs, so the read back is what a client sees.
            with django_capture_on_commit_callbacks(execute=True):
                response = _send(client, op, path, body, multipart=entry is not None and entry.multipart)
            if entry is not None and entry.refused is not None:
                if (response.status_code, _code_of(response)) != (400, entry.refused):
                    failures.append(f"{name}: should be refused with {entry.refused}: {response.content!r}")
                continue
            if response.status_code not in (200, 201):
                failures.append(f"{name}={value!r}: {response.status_code} {response.content[:300]!r}")
                continue
            read = _detail(client, op, response.json()["id"])
            if schema.get("writeOnly"):
                assert name not in read, f"{op}: {name} is write-only yet read back"
                if entry is not None and entry.check is not None:
                    entry.check(world, tenant_a_admin, read)
                continue
            stored = entry.read(read) if entry is not None and entry.read is not None else read.get(name)
            expected = entry.expect if entry is not None and entry.expect is not None else value
            if not contract.matches(expected, stored):
                failures.append(f"{name}: sent {value!r}, stored {stored!r}")
    assert not failures, f"{op}: fields that do not reach the service:\n" + "\n".join(failures)


def _target(op: contract.WriteOperation, entry: Value | None, world: World) -> Any:
    maker = (entry.target if entry is not None else None) or TARGETS.get(op.resource)
    if maker is not None:
        return maker(world)
    return isolation.make_object(op.model, world.tenant, str(op))


def _send(client: Any, op: contract.WriteOperation, path: str, body: dict[str, Any], *, multipart: bool) -> Any:
    method = op.operation.method.upper()
    if not multipart:
        return client.generic(method, path, json.dumps(body), content_type="application/json")
    fields = {key: value if isinstance(value, str | int | list) else json.dumps(value) for key, value in body.items()}
    return client.generic(method, path, encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT)


def _code_of(response: Any) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None
