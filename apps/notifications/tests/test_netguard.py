"""The SSRF guard's rules on their own: which addresses are refused, which URLs are well formed."""

from __future__ import annotations

import ipaddress

import pytest

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
        netguard.check_registration(url, allow_private_network=False)
    assert refused.value.code == "private_address"
    assert refused.value.details == {"field": "url", "address": address, "reason": reason}


def test_registration_allows_them_when_the_webhook_does() -> None:
    target = netguard.check_registration("http://127.0.0.1:8000/in", allow_private_network=True)
    assert target == Target("http", "127.0.0.1", 8000, "/in")


def test_registration_accepts_a_name_that_does_not_resolve_yet() -> None:
    # Checked again at every delivery, against whatever it resolves to then.
    target = netguard.check_registration("https://hooks.not-yet.invalid/in", allow_private_network=False)
    assert target.host == "hooks.not-yet.invalid"


def test_every_resolved_address_is_checked(fake_dns: FakeDNS) -> None:
    fake_dns["mixed.example.test"] = ["8.8.8.8", "127.0.0.1"]
    with pytest.raises(netguard.AddressRefused) as refused:
        netguard.checked_addresses(netguard.parse_url("http://mixed.example.test/"), allow_private_network=False)
    assert (refused.value.address, refused.value.reason) == ("127.0.0.1", "loopback")
    fake_dns["public.example.test"] = ["8.8.8.8", "2606:4700:4700::1111"]
    resolved = netguard.checked_addresses(
        netguard.parse_url("http://public.example.test/"), allow_private_network=False
    )
    assert [str(entry.address) for entry in resolved] == ["8.8.8.8", "2606:4700:4700::1111"]
    assert [entry.sockaddr[:2] for entry in resolved] == [("8.8.8.8", 80), ("2606:4700:4700::1111", 80)]


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    no_jitter = [backoff_seconds(attempt, base=30, jitter=lambda: 0.0) for attempt in range(1, 9)]
    assert no_jitter == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_seconds(3, base=30, jitter=lambda: 1.0) == pytest.approx(132.0)
    assert backoff_seconds(1, base=60, cap=90, jitter=lambda: 0.5) == pytest.approx(63.0)
    assert backoff_seconds(20, base=30, cap=3600, jitter=lambda: 0.0) == 3600
    assert backoff_seconds(4, base=0, jitter=lambda: 1.0) == 0
