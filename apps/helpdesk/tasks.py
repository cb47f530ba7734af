"""Beat tasks of the helpdesk: the escalation matrix and the SLA watch, every minute.

Each runs for every active tenant in turn through ``apps.core.tenant_runner`` (inside
that tenant's context, so its queries, alerts, e-mails and webhooks are the tenant's;
one tenant failing does not stop the others), and is idempotent: a second run at the
same moment, or a retry after a failure, changes nothing the first one changed. Every
ticket commits alone (``atomic=False``), so its e-mails leave at once and one failing
ticket does not undo the others.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.core.tenant_runner import for_each_tenant

from . import escalation


@shared_task(name="helpdesk.escalate_tickets")
def escalate_tickets() -> dict[str, Any]:
    """Escalate every ticket that waited at its level longer than its next rule's wait."""
    return for_each_tenant(
        "helpdesk.escalate_tickets", lambda _tenant: {"escalated": escalation.escalate_due_tickets()}, atomic=False
    ).as_dict()


@shared_task(name="helpdesk.check_sla")
def check_sla() -> dict[str, Any]:
    """Mark every unresolved ticket past its SLA due time as breached (once)."""
    return for_each_tenant(
        "helpdesk.check_sla", lambda _tenant: {"breached": escalation.check_sla_breaches()}, atomic=False
    ).as_dict()
