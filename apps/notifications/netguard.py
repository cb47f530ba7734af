"""Where a webhook may point: URL rules and the address check against SSRF.

A webhook is an outbound request whose target a tenant admin chooses, so without a guard
it reaches whatever the server can: the cloud metadata service, the database, an admin
port on localhost. Addresses that are not public unicast (private, loopback, link-local,
multicast, reserved, unspecified, in IPv4 or IPv6, including IPv4 embedded in IPv6) are
refused unless the webhook has ``allow_private_network``.

The check runs twice: at registration, on a literal IP or on what a hostname resolves to
then; and at delivery, on every address the name resolves to at that moment, after which
the connection goes to one of exactly those addresses (see ``transport``), so a name that
changes its answer between check and connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from apps.core.errors import DomainError

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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
    """One address a host name resolved to, ready for ``socket.connect``."""

    family: int
    sockaddr: tuple
    address: IPAddress


class AddressRefused(Exception):
    """Delivery-time refusal: a resolved address is not public and the webhook does not allow that."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"{address} is a {reason.replace('_', '-')} address")
        self.address = address
        self.reason = reason


def describe_refusal(host: str, refusal: AddressRefused) -> str:
    """``10.0.0.5 is a private address``, or ``intranet resolves to 10.0.0.5, a private address``."""
    if host.strip("[]") == refusal.address:
        return str(refusal)
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


def checked_addresses(target: Target, *, allow_private_network: bool) -> list[Resolved]:
    """Resolve once and check every address; raise ``AddressRefused`` if any is not allowed.

    The caller must connect only to the addresses returned.
    """
    addresses = resolve(target.host, target.port)
    if not allow_private_network:
        for entry in addresses:
            reason = address_problem(entry.address)
            if reason is not None:
                raise AddressRefused(str(entry.address), reason)
    return addresses


def check_registration(url: object, *, allow_private_network: bool) -> Target:
    """The registration check: the URL's form, then its address when it is a literal IP or
    a name that resolves now. A name that does not resolve yet is accepted: delivery checks again.

    Raises ``UrlError``: ``invalid_url`` or ``private_address`` (with the address and reason).
    """
    target = parse_url(url)
    if allow_private_network:
        return target
    try:
        checked_addresses(target, allow_private_network=False)
    except AddressRefused as exc:
        raise UrlError(
            f"{describe_refusal(target.host, exc)}: webhooks go to public addresses unless the webhook allows "
            "private networks.",
            code="private_address",
            details={"field": "url", "address": exc.address, "reason": exc.reason},
        ) from None
    except ResolutionFailed:
        pass
    return target
