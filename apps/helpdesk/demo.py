"""Demo helpdesk: ticket categories, SLA policies, a three-level escalation matrix per
category, and a few open tickets raised by the demo guard.

Idempotent: categories, policies and rules are matched by their keys, and the tickets
carry fixed uuids, so raising them again returns the ones already there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from apps.people.models import Person, Team
from apps.sites.models import Site
from apps.tenants.models import Lookup

from . import services
from .models import EscalationRecipient, EscalationRule, SlaPolicy, Status

CATEGORIES = [
    ("HOUSEKEEPING", "Housekeeping"),
    ("SECURITY", "Security"),
    ("MAINTENANCE", "Maintenance"),
    ("IT", "IT"),
]
#: Minutes to resolve by priority; the security category is tighter.
DEFAULT_SLA = {"LOW": 3 * 24 * 60, "MEDIUM": 24 * 60, "HIGH": 8 * 60, "URGENT": 2 * 60}
SECURITY_SLA = {"HIGH": 2 * 60, "URGENT": 30}
#: Minutes of wait before levels 1, 2 and 3.
WAITS = {"SECURITY": (15, 30, 60)}
DEFAULT_WAITS = (60, 120, 240)

TICKETS = [
    ("MAINTENANCE", "HIGH", "Water leak in the lobby ceiling", "Dripping near the lift; bucket placed."),
    ("HOUSEKEEPING", "LOW", "Washrooms on level 1 need cleaning", ""),
    ("SECURITY", "URGENT", "Side gate lock broken", "The gate cannot be locked; a guard is posted there."),
    ("IT", "MEDIUM", "Visitor kiosk does not print badges", ""),
]


def _categories() -> dict[str, Lookup]:
    found = {}
    for position, (code, name) in enumerate(CATEGORIES, start=10):
        found[code], _ = Lookup.objects.get_or_create(
            kind=Lookup.Kind.TICKET_CATEGORY, code=code, defaults={"name": name, "position": position}
        )
    return found


def _policies(categories: dict[str, Lookup]) -> int:
    for priority, minutes in DEFAULT_SLA.items():
        SlaPolicy.objects.update_or_create(
            category=None, priority=priority, defaults={"resolve_within_minutes": minutes}
        )
    for priority, minutes in SECURITY_SLA.items():
        SlaPolicy.objects.update_or_create(
            category=categories["SECURITY"], priority=priority, defaults={"resolve_within_minutes": minutes}
        )
    return len(DEFAULT_SLA) + len(SECURITY_SLA)


def _matrix(categories: dict[str, Lookup], people: dict[str, Person], team: Team | None) -> int:
    supervisor, admin = people.get("supervisor"), people.get("admin")
    count = 0
    for code, category in categories.items():
        waits = WAITS.get(code, DEFAULT_WAITS)
        levels: list[tuple[dict[str, Any], list[Person | None], list[Team | None]]] = [
            ({"assignee_person": supervisor, "assignee_team": None}, [supervisor], []),
            ({"assignee_person": None, "assignee_team": team}, [supervisor], [team]),
            ({"assignee_person": admin, "assignee_team": None}, [admin, supervisor], []),
        ]
        for level, (assignee, notify_people, notify_teams) in enumerate(levels, start=1):
            rule, _ = EscalationRule.objects.update_or_create(
                category=category, level=level, defaults={"wait_minutes": waits[level - 1], **assignee}
            )
            for person in notify_people:
                if person is not None:
                    EscalationRecipient.objects.get_or_create(rule=rule, person=person)
            for notify_team in notify_teams:
                if notify_team is not None:
                    EscalationRecipient.objects.get_or_create(rule=rule, team=notify_team)
            count += 1
    return count


def load_helpdesk(tenant: Any, say: Callable[[str], None]) -> None:
    categories = _categories()
    people = {p.login: p for p in Person.objects.filter(login__in=["admin", "supervisor", "guard1"])}
    team = Team.objects.filter(code="TEAM-ALPHA").first()
    policies = _policies(categories)
    rules = _matrix(categories, people, team)
    guard, supervisor = people.get("guard1"), people.get("supervisor")
    site = Site.objects.filter(pk=guard.home_site_id).first() if guard is not None else None
    raised = 0
    if guard is not None and site is not None:
        for n, (code, priority, title, description) in enumerate(TICKETS):
            ticket, created = services.create_ticket(
                guard,
                uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"youtility-demo:{tenant.slug}:ticket:{n}"),
                site_id=site.pk,
                category_id=categories[code].pk,
                priority=priority,
                title=title,
                description=description,
            )
            raised += created
            if created and n % 2 == 0 and supervisor is not None:
                services.transition_ticket(supervisor, ticket, Status.OPEN, note="Looking into it.")
    say(
        f"  helpdesk: {len(categories)} ticket categories, {policies} SLA policies, "
        f"{rules} escalation rules, {raised} new tickets"
    )


DEMO_STEPS = [(60, load_helpdesk)]
