"""Demo webhook: one inactive registration at example.com, so the demo shows the page and sends nothing.

E-mails are not demo data: they are sent when alerts and tickets happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import signing
from .models import Webhook

DEMO_URL = "https://example.com/hooks"


def load_webhooks(tenant: Any, say: Callable[[str], None]) -> None:
    # Written directly: the service would resolve example.com to check it, and the demo
    # must load offline. The secret is made once; a second run keeps it.
    _webhook, created = Webhook.objects.get_or_create(
        url=DEMO_URL,
        defaults={
            "events": ["alert.*", "ticket.*"],
            "secret": signing.generate_secret(),
            "active": False,
            "description": "Demo receiver (inactive: activate it with a URL of yours to try webhooks).",
        },
    )
    say(f"  webhooks: {DEMO_URL} ({'created' if created else 'kept'}, inactive)")


DEMO_STEPS = [(90, load_webhooks)]
