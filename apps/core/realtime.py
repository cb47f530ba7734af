"""WebSocket plumbing: origin check, authenticated tenant consumers, publish on commit.

A consumer authenticates with the same access token as REST (``Authorization: Bearer``
on the upgrade request, for phones) or with a single-use ticket from
``POST /api/v1/auth/ws-ticket/`` (``?ticket=``, for browsers, which cannot set headers).
It then joins its tenant's group; nothing a client sends picks the tenant.

Events about one site (``publish_on_commit(..., site_id=...)``) reach only the sockets
whose person may see that site (``sites_for``): a consumer keeps the visible site ids,
refreshed at every re-check, and drops the others.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import structlog
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http.request import validate_host
from django.utils.http import is_same_domain

from . import cleaning, context, tenancy
from .errors import DomainError, PermissionDenied

log = structlog.get_logger(__name__)


def _close_code(exc: DomainError) -> int:
    return 4403 if exc.status == 403 else 4401


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


def _authenticate_scope(scope: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Find the person, tenant and token claims (None for a ticket) of a WebSocket
    handshake, or raise ``DomainError``.

    The person comes back with roles loaded, so capability checks need no further query.
    """
    from apps.people.api.authentication import bearer_token
    from apps.people.services import authenticate_access, redeem_ws_ticket

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
        from apps.sites.selectors import sees_all_sites, sites_for

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
        from apps.people.services import revalidate

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
