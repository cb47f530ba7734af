"""The live operations dashboard's socket, ``/ws/noc/``."""

from __future__ import annotations

from typing import Any

from apps.people.consumers import TenantConsumer


class NocConsumer(TenantConsumer):
    """Receives alert and dashboard events of the user's tenant (needs ``noc.view``)."""

    channel = "noc"

    def is_allowed(self, person: Any) -> bool:
        return bool(person.has_capability("noc.view"))
