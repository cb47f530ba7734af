"""Beat tasks of the helpdesk: the escalation matrix and the SLA watch, every minute.

Each runs for every active tenant in turn, inside that tenant's context (so its queries,
alerts, e-mails and webhooks are the tenant's), and is idempotent: a second run at the
same moment, or a retry after a failure, changes nothing the first one changed.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from celery import shared_task

from apps.core.tenancy import tenant_context
from apps.tenants.models import Tenant

from . import escalation

log = structlog.get_logger(__name__)


def _each_tenant(work: Callable[[], int]) -> int:
    done = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_context(tenant):
            count = work()
        if count:
            log.info("helpdesk.tenant_done", tenant=tenant.slug, count=count, work=work.__name__)
        done += count
    return done


@shared_task(name="helpdesk.escalate_tickets")
def escalate_tickets() -> int:
    """Escalate every ticket that waited at its level longer than its next rule's wait."""
    return _each_tenant(escalation.escalate_due_tickets)


@shared_task(name="helpdesk.check_sla")
def check_sla() -> int:
    """Mark every unresolved ticket past its SLA due time as breached (once)."""
    return _each_tenant(escalation.check_sla_breaches)
