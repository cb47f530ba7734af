"""WebSocket plumbing every app may use: the origin check, tenant groups, publish on commit.

Services publish with ``publish_on_commit``; the sockets that receive those events are
``apps.people.consumers.TenantConsumer``s, which authenticate a person (the people app
owns sign-in) and join ``tenant_group(tenant, channel)``. An event about one site
(``publish_on_commit(..., site_id=...)``) carries its ``site_id``, and each socket drops
the events of sites its person may not see.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http.request import validate_host
from django.utils.http import is_same_domain

from . import context, tenancy

log = structlog.get_logger(__name__)


def tenant_group(tenant_id: int, channel: str) -> str:
    return f"tenant.{tenant_id}.{channel}"


class OriginCheckMiddleware:
    """Refuse WebSocket upgrades whose Origin is not one of our hosts.

    Browsers always send Origin, so a foreign page cannot open a socket with the user's
    cookies; native apps send none, and must then present a token.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            origin = dict(scope.get("headers", [])).get(b"origin")
            if origin is not None and not self.allowed(origin.decode("latin1")):
                log.warning("ws.origin_refused", origin=origin.decode("latin1"))
                await send({"type": "websocket.close", "code": 4403})
                return None
        return await self.app(scope, receive, send)

    @staticmethod
    def allowed(origin: str) -> bool:
        parsed = urlparse(origin)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            return False
        # The same rules as Django's CSRF check: exact trusted origins, "*." subdomain
        # entries for the same scheme, then any host this site answers to.
        for trusted in settings.CSRF_TRUSTED_ORIGINS:
            if "*" not in trusted:
                if origin == trusted:
                    return True
                continue
            trusted_parsed = urlparse(trusted)
            if trusted_parsed.scheme == parsed.scheme and is_same_domain(
                parsed.netloc, trusted_parsed.netloc.lstrip("*")
            ):
                return True
        return validate_host(parsed.hostname, settings.ALLOWED_HOSTS)


def publish_on_commit(
    tenant_id: int,
    channel: str,
    event: str,
    payload: dict[str, Any],
    *,
    site_id: int | None = None,
    site_scoped: bool = False,
) -> None:
    """Send ``event`` to every socket of the tenant's channel once the transaction commits.

    An event about a site (``site_id`` given, or ``site_scoped`` for one that may have no
    site) reaches only the sockets whose person may see that site; a site-scoped event
    without a site only those who see every site.
    The correlation id of the request or task that caused it travels in the message.
    The payload is reduced to plain JSON types now (dates, decimals and uuids as
    strings), so a value the channel layer cannot carry fails here, inside the
    transaction, and not after the commit.
    """
    plain = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    message = {"type": "event.message", "event": event, "payload": plain, "request_id": context.current_request_id()}
    if site_scoped or site_id is not None:
        message["site_id"] = site_id
    group = tenant_group(tenant_id, channel)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, message)

    # robust: the change is committed by then; a channel-layer outage is logged by
    # Django rather than turning the committed request into an error.
    transaction.on_commit(send, using=tenancy.db_alias(), robust=True)
