"""The events e-mails and webhooks speak of, and how subscriptions and mutes name them.

A subscription (a webhook's ``events``) or a mute (a ``NotificationPreference``) names
either one event exactly (``ticket.escalated``) or every event of a family with a prefix
(``ticket.*``). Only families that have events are accepted: ``workorder.*`` becomes valid the
day a ``workorder.`` event is added here.
"""

from __future__ import annotations

from collections.abc import Iterable

from apps.core.errors import DomainError

EVENTS: dict[str, str] = {
    "alert.created": "A NOC alert was raised.",
    "alert.updated": "An alert was acknowledged, assigned, resolved or otherwise changed.",
    "alert.escalated": "An unacknowledged alert was escalated to the next level.",
    "ticket.created": "A ticket was raised.",
    "ticket.updated": "A ticket changed status, assignee or priority.",
    "ticket.escalated": "A ticket moved to the next level of its escalation matrix.",
    "ticket.sla_breached": "A ticket passed its SLA due time without being resolved.",
    "ticket.comment_added": "Someone commented on a ticket.",
    "job.missed": "A scheduled job or tour expired without being done and was auto-closed.",
    "job.reminder": "A preventive-maintenance job is coming up.",
}

#: The test event of ``POST /api/v1/webhooks/{id}/ping/``: sent to that one webhook only,
#: never by ``emit``, and not something one subscribes to.
PING = "ping"

MAX_PATTERN_LENGTH = 64


def families() -> list[str]:
    """The prefixes a subscription or mute may use: ``alert.*``, ``ticket.*``."""
    return sorted({f"{name.split('.', 1)[0]}.*" for name in EVENTS})


def check_event(event: str) -> None:
    """Refuse an event name no template or subscriber knows: a programming error in the caller."""
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r}; known: {', '.join(EVENTS)}.")


def matches(pattern: str, event: str) -> bool:
    """Whether a subscription or mute ``pattern`` covers ``event``."""
    if pattern.endswith(".*"):
        return event.startswith(pattern[:-1])
    return pattern == event


def specificity(pattern: str) -> tuple[int, int]:
    """Orders patterns from vague to precise: an exact name beats any prefix, a longer prefix a shorter one."""
    return (0, len(pattern)) if pattern.endswith(".*") else (1, len(pattern))


def clean_patterns(patterns: Iterable[object], *, field: str, max_items: int) -> list[str]:
    """Validate a list of event names and prefixes; return them without duplicates, in order.

    Raises ``DomainError`` ``unknown_event`` naming the patterns that are neither an event
    nor the prefix of a family, ``too_many_events`` past ``max_items``.
    """
    cleaned: list[str] = []
    unknown: list[str] = []
    known = set(EVENTS) | set(families())
    for value in patterns:
        if not isinstance(value, str) or len(value) > MAX_PATTERN_LENGTH or value.strip() not in known:
            unknown.append(str(value)[:MAX_PATTERN_LENGTH])
        elif value.strip() not in cleaned:
            cleaned.append(value.strip())
    if unknown:
        raise DomainError(
            f"Unknown event(s): {', '.join(unknown)}. Use an event name or one of {', '.join(families())}.",
            code="unknown_event",
            details={"field": field, "unknown": unknown, "events": list(EVENTS), "families": families()},
        )
    if len(cleaned) > max_items:
        raise DomainError(
            f"At most {max_items} events.", code="too_many_events", details={"field": field, "max": max_items}
        )
    return cleaned
