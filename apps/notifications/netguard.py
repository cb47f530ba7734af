"""Where a webhook may point: URL rules and the address check against SSRF.

A webhook is an outbound request whose target a tenant admin chooses, so without a guard
it reaches whatever the server can: the cloud metadata service, the database, an admin
port on localhost. Addresses that are not public unicast (private, loopback, link-local,
multicast, reserved, unspecified, in IPv4 or IPv6, including IPv4 embedded in IPv6) are
refused unless the operator lists their network in ``WEBHOOK_ALLOWED_PRIVATE_NETWORKS``
(empty by default): which internal receivers exist is the operator's knowledge and
decision, never a tenant admin's. The installation's own endpoints (the proxy, web and
WebSocket ports, its stores, its public host) are refused even inside an allowed
network, unless an entry names that address with that port.

The check runs twice: at registration, on a literal IP or on what a hostname resolves to
then; and at delivery, on every address the name resolves to at that moment, after which
the connection goes to one of exactly those addresses (see ``transport``), so a name that
changes its answer between check and connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.core.errors import DomainError

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: ``reason`` of a refused address that belongs to the installation itself.
INSTALLATION = "installation"

# Checked in order; the first network containing the address names the reason.
_V4_BLOCKED: list[tuple[str, str]] = [
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "private"),  # carrier-grade NAT
    ("169.254.0.0/16", "link_local"),  # includes the cloud metadata service, 169.254.169.254
    ("224.0.0.0/4", "multicast"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "reserved"),
    ("192.88.99.0/24", "reserved"),
    ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "reserved"),
    ("203.0.113.0/24", "reserved"),
    ("240.0.0.0/4", "reserved"),  # and 255.255.255.255
]
_V6_BLOCKED: list[tuple[str, str]] = [
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fe80::/10", "link_local"),
    ("fc00::/7", "private"),
    ("fec0::/10", "private"),
    ("64:ff9b:1::/48", "private"),
    ("ff00::/8", "multicast"),
    ("2001::/23", "reserved"),  # protocol assignments, Teredo
    ("2001:db8::/32", "reserved"),
    ("3fff::/20", "reserved"),
]
_V4 = [(ipaddress.IPv4Network(net), reason) for net, reason in _V4_BLOCKED]
_V6 = [(ipaddress.IPv6Network(net), reason) for net, reason in _V6_BLOCKED]
_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UrlError(DomainError):
    code = "invalid_url"
    message = "The URL is not valid."


@dataclass(frozen=True)
class Target:
    """A checked webhook URL, split into what a connection needs."""

    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    path: str  # path and query, as sent on the request line

    @property
    def is_https(self) -> bool:
        return self.scheme == "https"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address (``loopback``, ``private``, ...), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "link_local"
        embedded = _embedded_v4(address)
        if embedded is not None:
            return address_problem(embedded)
        for network6, reason in _V6:
            if address in network6:
                return reason
        return None if address in _V6_GLOBAL_UNICAST else "reserved"
    for network4, reason in _V4:
        if address in network4:
            return reason
    return None


def parse_url(url: object) -> Target:
    """Check a webhook URL's form: http(s), a host, no credentials, at most 2048 characters.

    Raises ``UrlError`` (``invalid_url``) with ``details.reason``.
    """

    def refuse(reason: str, message: str) -> UrlError:
        return UrlError(message, details={"field": "url", "reason": reason})

    if not isinstance(url, str) or not url:
        raise refuse("missing", "A URL is required.")
    if len(url) > MAX_URL_LENGTH:
        raise refuse("too_long", f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise refuse("whitespace", "The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise refuse("host", "The URL's host is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise refuse("scheme", "Only http and https URLs can receive webhooks.")
    if "@" in parts.netloc:
        raise refuse(
            "credentials", "The URL must not contain a user name or password; authenticate with the signature."
        )
    try:
        port = parts.port
    except ValueError:
        raise refuse("port", "The URL's port is not a number from 1 to 65535.") from None
    host = parts.hostname or ""
    if not host:
        raise refuse("host", "The URL has no host.")
    try:
        ascii_host = host if _ip(host) is not None else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise refuse("host", "The URL's host name is not valid.") from None
    if port == 0:
        raise refuse("port", "The URL's port is not a number from 1 to 65535.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=ascii_host, port=port or (443 if scheme == "https" else 80), path=path)


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True)
class Resolved:
    """One address a host name resolved to, ready for ``socket.connect``.

    ``private`` is set by ``checked_addresses`` when only the operator's allow-list let
    the address through: what comes back from such a receiver is not kept.
    """

    family: int
    sockaddr: tuple
    address: IPAddress
    private: bool = False


class AddressRefused(Exception):
    """Delivery-time refusal: a resolved address is not public (or is the installation's own)
    and the operator's allow-list does not cover it."""

    def __init__(self, address: str, reason: str, port: int) -> None:
        super().__init__(_refusal_text(address, reason, port))
        self.address = address
        self.reason = reason
        self.port = port

    @property
    def code(self) -> str:
        """The stable code: ``installation_address`` or ``private_address``."""
        return "installation_address" if self.reason == INSTALLATION else "private_address"


def _refusal_text(address: str, reason: str, port: int) -> str:
    if reason == INSTALLATION:
        return f"{address} port {port} belongs to this installation"
    return f"{address} is a {reason.replace('_', '-')} address"


def describe_refusal(host: str, refusal: AddressRefused) -> str:
    """``10.0.0.5 is a private address``, or ``intranet resolves to 10.0.0.5, a private address``."""
    if host.strip("[]") == refusal.address:
        return str(refusal)
    if refusal.reason == INSTALLATION:
        return f"{host} resolves to {refusal.address}, and port {refusal.port} there belongs to this installation"
    return f"{host} resolves to {refusal.address}, a {refusal.reason.replace('_', '-')} address"


class ResolutionFailed(Exception):
    """The host name did not resolve."""


def resolve(host: str, port: int) -> list[Resolved]:
    """Every TCP address ``host`` resolves to now (a literal IP resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionFailed(f"{host} does not resolve") from exc
    resolved: list[Resolved] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) >= 4 and sockaddr[3]:
            address = ipaddress.IPv6Address(f"{address}%{sockaddr[3]}")
        entry = Resolved(family=family, sockaddr=tuple(sockaddr), address=address)
        if entry not in resolved:
            resolved.append(entry)
    if not resolved:
        raise ResolutionFailed(f"{host} has no IPv4 or IPv6 address")
    return resolved


# --- The operator's policy: allowed networks, the installation's own endpoints ---------------


@dataclass(frozen=True)
class AllowedNetwork:
    """One entry of ``WEBHOOK_ALLOWED_PRIVATE_NETWORKS``: a network, or one port of it.

    A network alone (``10.20.0.0/16``) opens every port of it except the installation's
    own endpoints; with a port (``127.0.0.1:9000``, ``[fd00::/8]:443``) it opens that port
    only, and is the one way to let a webhook reach an endpoint of the installation.
    """

    network: IPNetwork
    port: int | None = None

    def covers(self, address: IPAddress, port: int) -> bool:
        return address in self.network and self.port in (None, port)


@dataclass(frozen=True)
class Endpoint:
    """Where the installation listens or what it talks to: ``host:port``, host a name or an IP."""

    host: str
    port: int


@dataclass(frozen=True)
class Policy:
    allowed: tuple[AllowedNetwork, ...]
    endpoints: tuple[Endpoint, ...]


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{entry!r}: the port is not a number from 1 to 65535")
    return int(text)


def parse_allowed_network(entry: str) -> AllowedNetwork:
    """``10.20.0.0/16``, ``127.0.0.1`` (one address), ``::1/128``, ``127.0.0.1:9000``,
    ``[fd00::/8]:443``. Host bits set under the mask (``10.20.0.5/16``) are refused: they
    usually mean one address was intended. Raises ``ValueError``."""
    text = entry.strip()
    port: int | None = None
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ValueError(f"{entry!r}: write an IPv6 network with a port as [fd00::/8]:443")
        text, port = inside, _port(rest[1:], entry)
    elif text.count(":") == 1:
        text, _, port_text = text.partition(":")
        port = _port(port_text, entry)
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"{entry!r} is not a network such as 10.20.0.0/16 or 127.0.0.1/32 ({exc})") from None
    return AllowedNetwork(network=network, port=port)


def parse_endpoint(entry: str) -> Endpoint:
    """``127.0.0.1:8001``, ``[::1]:8002``, ``db.internal:5432``. Raises ``ValueError``."""
    try:
        parts = urlsplit(f"//{entry.strip()}")
        port = parts.port
    except ValueError:
        raise ValueError(f"{entry!r} is not host:port") from None
    if not parts.hostname or port is None or parts.path or parts.username:
        raise ValueError(f"{entry!r} is not host:port")
    return Endpoint(host=parts.hostname, port=port)


def _url_endpoint(url: str, default_ports: dict[str, int]) -> Endpoint | None:
    try:
        parts = urlsplit(url)
        port = parts.port or default_ports.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return Endpoint(host=parts.hostname, port=port)


def installation_endpoints() -> list[Endpoint]:
    """``INSTALLATION_ENDPOINTS`` (where the proxy, gunicorn and daphne listen) plus what the
    settings name: the databases, Redis, the Celery broker, the MQTT broker, the public host."""
    endpoints = [parse_endpoint(entry) for entry in _entries(settings.INSTALLATION_ENDPOINTS)]
    for database in settings.DATABASES.values():
        host = str(database.get("HOST") or "")
        if host and not host.startswith("/"):  # a path is a Unix socket, out of a webhook's reach
            endpoints.append(Endpoint(host=host, port=int(str(database.get("PORT") or 5432))))
    for url, defaults in (
        (settings.REDIS_URL, {"redis": 6379, "rediss": 6379}),
        (settings.CELERY_BROKER_URL, {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}),
        (settings.MQTT_URL, {"mqtt": 1883, "mqtts": 8883}),
        (settings.CONSOLE_BASE_URL, {"http": 80, "https": 443}),
    ):
        endpoint = _url_endpoint(str(url), defaults)
        if endpoint is not None:
            endpoints.append(endpoint)
    return endpoints


def _entries(value: str | Iterable[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


def policy() -> Policy:
    """The operator's settings, parsed; a bad entry raises ``ImproperlyConfigured`` naming it
    (the app checks this at start-up, so a typo never waits for the first delivery)."""
    allowed = _entries(settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS)
    try:
        endpoints = tuple(installation_endpoints())
    except ValueError as exc:
        raise ImproperlyConfigured(f"INSTALLATION_ENDPOINTS: {exc}.") from None
    return _policy(allowed, endpoints)


@functools.lru_cache(maxsize=8)
def _policy(allowed: tuple[str, ...], endpoints: tuple[Endpoint, ...]) -> Policy:
    try:
        networks = tuple(parse_allowed_network(entry) for entry in allowed)
    except ValueError as exc:
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_PRIVATE_NETWORKS: {exc}.") from None
    return Policy(allowed=networks, endpoints=endpoints)


def _plain(address: IPAddress) -> IPAddress:
    """The address a connection really reaches: the IPv4 one an IPv6 form carries, without scope."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return embedded
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def _endpoint_addresses(host: str, port: int) -> list[IPAddress]:
    if host == "localhost":
        return [ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")]
    literal = _ip(host)
    if literal is not None:
        return [_plain(literal)]
    try:
        return [_plain(entry.address) for entry in resolve(host, port)]
    except ResolutionFailed:
        return []  # a store that does not resolve is not reachable under that name either


def _reaches(endpoint: IPAddress, address: IPAddress) -> bool:
    """Whether a connection to ``address`` can reach a service bound to ``endpoint``.

    A service on a wildcard address answers on every address; one on loopback answers on
    every loopback address (127.0.0.2 reaches a socket bound to 0.0.0.0 or, on some
    systems, to 127.0.0.1) and on the unspecified address, which Linux connects to locally.
    """
    if endpoint.is_unspecified:
        return True
    if endpoint.is_loopback:
        return address.is_loopback or address.is_unspecified
    return endpoint == address


def is_installation(address: IPAddress, port: int, current: Policy | None = None) -> bool:
    """Whether ``address:port`` is one of the installation's own endpoints."""
    plain = _plain(address)
    for endpoint in (current or policy()).endpoints:
        if endpoint.port == port and any(
            _reaches(own, plain) for own in _endpoint_addresses(endpoint.host, endpoint.port)
        ):
            return True
    return False


def _judge(address: IPAddress, port: int, current: Policy) -> tuple[str | None, bool]:
    """(why ``address:port`` is refused or None, whether only the allow-list lets it through).

    A non-public address outside the allow-list is refused for what it is (``loopback``...)
    before anything else, so a tenant admin learns nothing about which of its ports the
    installation uses; the installation's own endpoints are checked only for addresses
    that would otherwise go through.
    """
    plain = _plain(address)
    problem = address_problem(address)
    if any(entry.port == port and entry.covers(plain, port) for entry in current.allowed):
        # The operator named this very port: even one of the installation's own.
        return None, problem is not None or is_installation(address, port, current)
    if problem is not None and not any(entry.covers(plain, port) for entry in current.allowed):
        return problem, True
    if is_installation(address, port, current):
        return INSTALLATION, True
    return None, problem is not None


def refusal_reason(address: IPAddress, port: int, current: Policy | None = None) -> str | None:
    """Why a connection to ``address:port`` is refused (``loopback``, ``private``,
    ``installation``...), or None when it may go ahead."""
    return _judge(address, port, current or policy())[0]


def checked_addresses(target: Target) -> list[Resolved]:
    """Resolve once and check every address; raise ``AddressRefused`` if any is not allowed.

    The caller must connect only to the addresses returned; those let through by the
    allow-list only come back with ``private`` set.
    """
    current = policy()
    checked: list[Resolved] = []
    for entry in resolve(target.host, target.port):
        reason, needs_allow_list = _judge(entry.address, target.port, current)
        if reason is not None:
            raise AddressRefused(str(entry.address), reason, target.port)
        checked.append(replace(entry, private=needs_allow_list))
    return checked


def check_registration(url: object) -> Target:
    """The registration check: the URL's form, then its address when it is a literal IP or
    a name that resolves now. A name that does not resolve yet is accepted: delivery checks again.

    Raises ``UrlError``: ``invalid_url``, ``private_address`` or ``installation_address``
    (with the address and reason).
    """
    target = parse_url(url)
    try:
        checked_addresses(target)
    except AddressRefused as exc:
        details: dict[str, object] = {"field": "url", "address": exc.address, "reason": exc.reason}
        if exc.reason == INSTALLATION:
            details["port"] = exc.port
            advice = "webhooks cannot call this installation's own services."
        else:
            advice = "webhooks go to public addresses unless the operator allows the network."
        raise UrlError(f"{describe_refusal(target.host, exc)}: {advice}", code=exc.code, details=details) from None
    except ResolutionFailed:
        pass
    return target
