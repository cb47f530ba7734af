"""The base of the project's sockets: a person signs in, the socket joins their tenant.

A consumer authenticates with the same access token as REST (``Authorization: Bearer``
on the upgrade request, for phones) or with a single-use ticket from
``POST /api/v1/auth/ws-ticket/`` (``?ticket=``, for browsers, which cannot set headers).
It then joins its tenant's group (``apps.core.realtime.tenant_group``); nothing a client
sends picks the tenant.

Events about one site (``publish_on_commit(..., site_id=...)``) reach only the sockets
whose person may see that site (``sites_for``): a consumer keeps the visible site ids,
refreshed at every re-check, and drops the others.

It lives here, not beside ``publish_on_commit`` in ``apps.core``, because signing in is
the people app's (tokens, tickets, revocation) and site scope the sites app's: the core
sits below both.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.core import cleaning, context, tenancy
from apps.core.errors import DomainError, PermissionDenied
from apps.core.http import bearer_token
from apps.core.realtime import tenant_group
from apps.sites.selectors import sees_all_sites, sites_for

from .services import authenticate_access, redeem_ws_ticket, revalidate

log = structlog.get_logger(__name__)


def _close_code(exc: DomainError) -> int:
    return 4403 if exc.status == 403 else 4401


def _authenticate_scope(scope: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Find the person, tenant and token claims (None for a ticket) of a WebSocket
    handshake, or raise ``DomainError``.

    The person comes back with roles loaded, so capability checks need no further query.
    """
    headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope.get("headers", [])}
    token = bearer_token(headers.get("authorization", ""))
    if token is not None:
        return authenticate_access(token, headers.get("x-device-id"))
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    ticket = (query.get("ticket") or [""])[0]
    if ticket:
        person, tenant = redeem_ws_ticket(ticket)
        return person, tenant, None
    raise DomainError("Authentication is required.", code="not_authenticated", status=401)


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Base for the project's sockets: authenticates, then joins ``tenant.<id>.<channel>``.

    A socket outlives the request that opened it, so the sign-in is checked again every
    ``WS_RECHECK_SECONDS`` and when its access token expires: a logout, a deactivated
    person or tenant, or a lost capability closes the socket (4401/4403) after a final
    ``{"type": "closing", "code": ...}`` message.
    """

    channel: str = "events"
    _watcher: asyncio.Task | None = None
    #: Ids of the sites this socket may hear about; None for every site (tenant admins).
    #: Set at connect and refreshed at every re-check, so a changed assignment applies
    #: within ``WS_RECHECK_SECONDS``.
    visible_site_ids: frozenset[int] | None = frozenset()

    async def connect(self) -> None:
        try:
            person, tenant, claims = await database_sync_to_async(self._admit)()
        except DomainError as exc:
            log.info("ws.refused", reason=exc.code)
            await self.close(code=_close_code(exc))
            return
        self.person = person
        self.tenant = tenant
        self.claims = claims
        tenancy.set_tenant(tenancy.TenantContext.of(tenant))
        context.set_actor(person.pk, label=person.login)
        structlog.contextvars.bind_contextvars(tenant=tenant.slug, person_id=person.pk)
        self.groups = [tenant_group(tenant.pk, self.channel)]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "tenant": tenant.slug, "person": person.login, "channel": self.channel})
        self._watcher = asyncio.ensure_future(self._watch())

    async def disconnect(self, code: int) -> None:
        if self._watcher is not None:
            self._watcher.cancel()

    def _admit(self) -> tuple[Any, Any, Any]:
        person, tenant, claims = _authenticate_scope(self.scope)
        self._check_allowed(person, tenant)
        self.visible_site_ids = self._visible_sites(person, tenant)
        return person, tenant, claims

    @staticmethod
    def _visible_sites(person: Any, tenant: Any) -> frozenset[int] | None:
        with tenancy.tenant_context(tenant):
            if sees_all_sites(person):
                return None
            return frozenset(sites_for(person).values_list("pk", flat=True))

    def _check_allowed(self, person: Any, tenant: Any) -> None:
        # Role rows are tenant-owned: the check runs as the person's tenant, or it fails closed.
        with tenancy.tenant_context(tenant):
            allowed = self.is_allowed(person)
        if not allowed:
            log.info("ws.permission_denied", person_id=person.pk, channel=self.channel)
            raise PermissionDenied("This person may not open this socket.")

    def _revalidate(self) -> frozenset[int] | None:
        person, tenant = revalidate(self.person.pk, self.tenant.pk, self.claims)
        self._check_allowed(person, tenant)
        return self._visible_sites(person, tenant)

    async def _watch(self) -> None:
        while True:
            delay = float(settings.WS_RECHECK_SECONDS)
            if self.claims is not None:
                delay = max(0.0, min(delay, self.claims.expires_at - time.time()))
            await asyncio.sleep(delay)
            try:
                self.visible_site_ids = await database_sync_to_async(self._revalidate)()
            except DomainError as exc:
                log.info("ws.closed_by_server", reason=exc.code)
                await self.send_json({"type": "closing", "code": exc.code})
                await self.close(code=_close_code(exc))
                return

    def is_allowed(self, person: Any) -> bool:
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # The base class raises on binary frames and malformed JSON, which would drop
        # the connection with a traceback (1011); a bad frame gets an error reply instead
        # and the socket stays open. Frames are decoded like every JSON body
        # (``apps.core.cleaning``): too deep, NUL or a lone surrogate is refused with its code.
        if text_data is None:
            await self.send_json({"type": "error", "code": "unsupported_message"})
            return
        try:
            content = cleaning.loads(text_data)
        except cleaning.MalformedJSON:
            await self.send_json({"type": "error", "code": "invalid_json"})
            return
        except DomainError as exc:
            await self.send_json({"type": "error", "code": exc.code, "message": exc.message, "details": exc.details})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unsupported_message"})

    def may_see(self, message: dict[str, Any]) -> bool:
        """Whether this socket may receive ``message``: always, unless it is about a site
        (``site_id`` in the message, null for "no site") this socket's person may not see."""
        if "site_id" not in message or self.visible_site_ids is None:
            return True
        return message["site_id"] in self.visible_site_ids

    async def event_message(self, message: dict[str, Any]) -> None:
        """A message published with ``publish_on_commit``: forwarded as is, if ``may_see``."""
        if not self.may_see(message):
            return
        await self.send_json(
            {"type": message["event"], "payload": message["payload"], "request_id": message.get("request_id")}
        )
