"""The SSRF guard's rules on their own: which addresses are refused, which URLs are well formed."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.notifications import netguard
from apps.notifications.delivery import backoff_seconds
from apps.notifications.netguard import Target, UrlError

from .conftest import FakeDNS


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.4.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("169.254.169.254", "link_local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "reserved"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "reserved"),
        ("198.18.0.1", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link_local"),
        ("fe80::1%2", "link_local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fec0::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link_local"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("::7f00:1", "reserved"),  # deprecated IPv4-compatible
        ("100::1", "reserved"),
        ("2001:db8::1", "reserved"),
        ("2001::1", "reserved"),  # Teredo
    ],
)
def test_non_public_addresses_are_named(address: str, reason: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://hooks.example.com/in?x=1&y=2", Target("https", "hooks.example.com", 443, "/in?x=1&y=2")),
        ("HTTP://Hooks.Example.com", Target("http", "hooks.example.com", 80, "/")),
        ("http://[::1]:8080/a", Target("http", "::1", 8080, "/a")),
        ("https://bücher.example/x#frag", Target("https", "xn--bcher-kva.example", 443, "/x")),
        ("http://203.0.113.9:9000/p", Target("http", "203.0.113.9", 9000, "/p")),
    ],
)
def test_urls_are_split_into_what_a_connection_needs(url: str, target: Target) -> None:
    assert netguard.parse_url(url) == target


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/in", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme"),
        ("hooks.example.com/in", "scheme"),
        ("https://user:secret@hooks.example.com/", "credentials"),
        ("https://user@hooks.example.com/", "credentials"),
        ("https://@hooks.example.com/", "credentials"),
        ("http:///path-only", "host"),
        ("http://[::1/", "host"),
        ("http://hooks.example.com:99999/", "port"),
        ("http://hooks.example.com:0/", "port"),
        ("http://hooks.example.com/a b", "whitespace"),
        ("http://hooks.example.com/\r\nX-Injected: 1", "whitespace"),
        ("https://hooks.example.com/" + "a" * 2030, "too_long"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_malformed_urls_are_invalid_url(url: object, reason: str) -> None:
    with pytest.raises(UrlError) as refused:
        netguard.parse_url(url)
    assert (refused.value.code, refused.value.details["reason"], refused.value.details["field"]) == (
        "invalid_url",
        reason,
        "url",
    )


def test_a_url_of_exactly_the_limit_is_accepted() -> None:
    url = "https://hooks.example.com/" + "a" * (netguard.MAX_URL_LENGTH - len("https://hooks.example.com/"))
    assert len(url) == netguard.MAX_URL_LENGTH
    assert netguard.parse_url(url).path.startswith("/aaa")


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("http://127.0.0.1:8000/", "127.0.0.1", "loopback"),
        ("http://localhost:8000/", "127.0.0.1", "loopback"),
        ("http://127.1/", "127.0.0.1", "loopback"),  # short form, resolved by the system
        ("http://2130706433/", "127.0.0.1", "loopback"),  # decimal form
        ("http://0x7f000001/", "127.0.0.1", "loopback"),  # hexadecimal form
        ("http://[::1]/", "::1", "loopback"),
        ("http://[::ffff:127.0.0.1]/", str(ipaddress.ip_address("::ffff:127.0.0.1")), "loopback"),
        ("http://10.1.2.3/", "10.1.2.3", "private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link_local"),
        ("http://0.0.0.0:8000/", "0.0.0.0", "unspecified"),
    ],
)
def test_registration_refuses_non_public_addresses(url: str, address: str, reason: str) -> None:
    with pytest.raises(UrlError) as refused:
        netguard.check_registration(url)
    assert refused.value.code == "private_address"
    assert refused.value.details == {"field": "url", "address": address, "reason": reason}


def test_registration_allows_them_when_the_operator_does(settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = "10.20.0.0/16, 127.0.0.1:9000"  # as the environment gives it
    assert netguard.check_registration("http://127.0.0.1:9000/in") == Target("http", "127.0.0.1", 9000, "/in")
    assert netguard.check_registration("http://10.20.3.4/in").host == "10.20.3.4"
    for url, address in (("http://127.0.0.1:9001/in", "127.0.0.1"), ("http://10.21.0.1/in", "10.21.0.1")):
        with pytest.raises(UrlError) as refused:
            netguard.check_registration(url)
        assert (refused.value.code, refused.value.details["address"]) == ("private_address", address)


def test_registration_accepts_a_name_that_does_not_resolve_yet() -> None:
    # Checked again at every delivery, against whatever it resolves to then.
    target = netguard.check_registration("https://hooks.not-yet.invalid/in")
    assert target.host == "hooks.not-yet.invalid"


def test_every_resolved_address_is_checked(fake_dns: FakeDNS) -> None:
    fake_dns["mixed.example.test"] = ["8.8.8.8", "127.0.0.1"]
    with pytest.raises(netguard.AddressRefused) as refused:
        netguard.checked_addresses(netguard.parse_url("http://mixed.example.test/"))
    assert (refused.value.address, refused.value.reason) == ("127.0.0.1", "loopback")
    fake_dns["public.example.test"] = ["8.8.8.8", "2606:4700:4700::1111"]
    resolved = netguard.checked_addresses(netguard.parse_url("http://public.example.test/"))
    assert [str(entry.address) for entry in resolved] == ["8.8.8.8", "2606:4700:4700::1111"]
    assert [entry.sockaddr[:2] for entry in resolved] == [("8.8.8.8", 80), ("2606:4700:4700::1111", 80)]
    assert [entry.private for entry in resolved] == [False, False]


# --- The operator's policy -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "network", "port"),
    [
        ("10.20.0.0/16", "10.20.0.0/16", None),
        ("127.0.0.1", "127.0.0.1/32", None),
        (" 127.0.0.1/32 ", "127.0.0.1/32", None),
        ("127.0.0.1:9000", "127.0.0.1/32", 9000),
        ("10.20.0.0/16:443", "10.20.0.0/16", 443),
        ("::1/128", "::1/128", None),
        ("fd00::/8", "fd00::/8", None),
        ("[fd00::/8]:443", "fd00::/8", 443),
        ("[::1]:9000", "::1/128", 9000),
    ],
)
def test_allow_list_entries(entry: str, network: str, port: int | None) -> None:
    assert netguard.parse_allowed_network(entry) == netguard.AllowedNetwork(ipaddress.ip_network(network), port)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("10.20.0.5/16", "has host bits set"),
        ("intranet", "is not a network"),
        ("10.20.0.0/33", "is not a network"),
        ("127.0.0.1:0", "the port is not a number from 1 to 65535"),
        ("127.0.0.1:http", "the port is not a number from 1 to 65535"),
        ("[::1]", "write an IPv6 network with a port as [fd00::/8]:443"),
    ],
)
def test_a_bad_allow_list_entry_stops_the_process_naming_the_setting(settings: Any, entry: str, message: str) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32", entry]
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_ALLOWED_PRIVATE_NETWORKS") as refused:
        netguard.policy()
    assert message in str(refused.value)


def test_a_bad_installation_endpoint_stops_the_process(settings: Any) -> None:
    settings.INSTALLATION_ENDPOINTS = ["127.0.0.1"]
    with pytest.raises(ImproperlyConfigured, match=r"INSTALLATION_ENDPOINTS: '127.0.0.1' is not host:port"):
        netguard.policy()


def test_the_installation_is_where_it_listens_and_what_it_talks_to(settings: Any) -> None:
    settings.INSTALLATION_ENDPOINTS = ["127.0.0.1:8001", "[::1]:8002", "0.0.0.0:8000"]
    settings.REDIS_URL = "redis://10.0.0.8/0"
    settings.CELERY_BROKER_URL = "amqp://guest@broker.internal"
    settings.MQTT_URL = "mqtts://user:secret@10.0.0.9"
    settings.CONSOLE_BASE_URL = "https://ops.example.com"
    databases = [netguard.Endpoint(str(db["HOST"]), int(db["PORT"] or 5432)) for db in settings.DATABASES.values()]
    assert databases and all(endpoint.host for endpoint in databases)
    assert netguard.installation_endpoints() == [
        netguard.Endpoint("127.0.0.1", 8001),
        netguard.Endpoint("::1", 8002),
        netguard.Endpoint("0.0.0.0", 8000),
        *databases,
        netguard.Endpoint("10.0.0.8", 6379),
        netguard.Endpoint("broker.internal", 5672),
        netguard.Endpoint("10.0.0.9", 8883),
        netguard.Endpoint("ops.example.com", 443),
    ]


@pytest.mark.parametrize(
    ("address", "port", "own"),
    [
        ("127.0.0.1", 8001, True),
        ("127.8.9.10", 8001, True),  # any loopback address reaches a service bound to loopback
        ("0.0.0.0", 8001, True),  # Linux connects the unspecified address locally
        ("::ffff:127.0.0.1", 8001, True),  # IPv4 in IPv6 reaches the IPv4 service
        ("::1", 8002, True),
        ("127.0.0.1", 8003, False),
        ("10.0.0.7", 6432, True),
        ("10.0.0.6", 6432, False),
        ("10.99.0.1", 8000, True),  # nginx on 0.0.0.0 answers on every address
        ("203.0.113.80", 443, True),  # the public host, by what its name resolves to
        ("203.0.113.81", 443, False),
    ],
)
def test_installation_endpoints_match_what_a_connection_would_reach(
    settings: Any, fake_dns: FakeDNS, address: str, port: int, own: bool
) -> None:
    settings.INSTALLATION_ENDPOINTS = ["127.0.0.1:8001", "localhost:8002", "0.0.0.0:8000", "10.0.0.7:6432"]
    settings.CONSOLE_BASE_URL = "https://ops.example.com"
    fake_dns["ops.example.com"] = ["203.0.113.80"]
    assert netguard.is_installation(ipaddress.ip_address(address), port) is own


def test_the_public_host_of_the_installation_is_refused_like_its_other_endpoints(
    settings: Any, fake_dns: FakeDNS
) -> None:
    settings.CONSOLE_BASE_URL = "https://ops.example.com"
    fake_dns["ops.example.com"] = ["8.8.4.4"]
    with pytest.raises(UrlError) as refused:
        netguard.check_registration("https://ops.example.com/api/v1/people/")
    assert (refused.value.code, refused.value.details) == (
        "installation_address",
        {"field": "url", "address": "8.8.4.4", "reason": "installation", "port": 443},
    )
    assert refused.value.message == (
        "ops.example.com resolves to 8.8.4.4, and port 443 there belongs to this installation: "
        "webhooks cannot call this installation's own services."
    )
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["8.8.4.4:443"]  # named with its port: the operator's call
    assert netguard.check_registration("https://ops.example.com/in").port == 443
    (resolved,) = netguard.checked_addresses(netguard.parse_url("https://ops.example.com/in"))
    assert resolved.private  # let through by the allow-list only: its answers are not kept


def test_an_allowed_private_address_is_marked_private(settings: Any, fake_dns: FakeDNS) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["10.20.0.0/16"]
    fake_dns["erp.internal"] = ["10.20.0.9"]
    (resolved,) = netguard.checked_addresses(netguard.parse_url("http://erp.internal/in"))
    assert (str(resolved.address), resolved.private) == ("10.20.0.9", True)


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    no_jitter = [backoff_seconds(attempt, base=30, jitter=lambda: 0.0) for attempt in range(1, 9)]
    assert no_jitter == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_seconds(3, base=30, jitter=lambda: 1.0) == pytest.approx(132.0)
    assert backoff_seconds(1, base=60, cap=90, jitter=lambda: 0.5) == pytest.approx(63.0)
    assert backoff_seconds(20, base=30, cap=3600, jitter=lambda: 0.0) == 3600
    assert backoff_seconds(4, base=0, jitter=lambda: 1.0) == 0
