"""Sign-in throttling slows an attacker down and never locks the owner out.

The same rules through the three doors that share ``check_credentials``: REST
``auth/token/``, GraphQL ``tokenAuth`` and the console's sign-in page. The throttle's
clock is frozen and moved by hand, so every wait is exact.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

from apps.core.errors import DomainError
from apps.core.testing import post_graphql
from apps.people import throttling
from apps.people.services import check_credentials
from conftest import Persona, make_persona, make_tenant

TOKEN_URL = "/api/v1/auth/token/"
TOKEN_AUTH = """
mutation SignIn($tenant: String!, $username: String!, $password: String!, $deviceToken: String) {
  tokenAuth(tenant: $tenant, username: $username, password: $password, deviceToken: $deviceToken) {
    token deviceToken
  }
}
"""
OFFICE = "198.51.100.20"
ATTACKER = "203.0.113.66"
DOORS = ["rest", "graphql", "console"]


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_800_000_000.0
        monkeypatch.setattr(throttling, "_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_local_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process fallback starts empty in every test."""
    monkeypatch.setattr(throttling, "_local", throttling._LocalStore())


@dataclass
class Outcome:
    code: str  # "ok", or the error code
    retry_after: int | None = None
    device_token: str = ""


def attempt(
    door: str, persona: Persona, password: str, *, login: str | None = None, ip: str = OFFICE, device_token: str = ""
) -> Outcome:
    """One sign-in through ``door`` from ``ip``; every throttle answer is checked for its shape."""
    login = login or persona.login
    headers: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": ip}
    if door == "rest":
        body = {"tenant": persona.tenant.slug, "login": login, "password": password, "device_token": device_token}
        response = Client().post(TOKEN_URL, body, content_type="application/json", **headers)
        if response.status_code == 200:
            return Outcome("ok", device_token=response.json()["device_token"])
        error = response.json()["error"]
        if response.status_code == 429:
            assert error["details"] == {"retry_after": int(response["Retry-After"])}
            return Outcome(error["code"], error["details"]["retry_after"])
        assert response.status_code == 401 and "Retry-After" not in response
        return Outcome(error["code"])
    if door == "graphql":
        variables = {"tenant": persona.tenant.slug, "username": login, "password": password}
        response = post_graphql(Client(), TOKEN_AUTH, {**variables, "deviceToken": device_token}, **headers)
        body = response.json()
        if not body.get("errors"):
            return Outcome("ok", device_token=body["data"]["tokenAuth"]["deviceToken"])
        extensions = body["errors"][0]["extensions"]
        details = extensions.get("details", {})
        return Outcome(extensions["code"], details.get("retry_after"))
    client = Client()
    if device_token:
        client.cookies[throttling.DEVICE_COOKIE] = device_token
    form = {"tenant": persona.tenant.slug, "username": login, "password": password}
    response = client.post("/login/", form, **headers)
    if response.status_code == 302:
        cookie = response.cookies[throttling.DEVICE_COOKIE]
        assert (cookie["httponly"], cookie["path"], cookie["samesite"]) == (True, "/login/", "Lax")
        return Outcome("ok", device_token=cookie.value)
    if response.status_code == 429:
        retry_after = int(response["Retry-After"])
        assert f"try again in {retry_after} s." in response.content.decode()
        return Outcome("auth_throttled", retry_after)
    assert response.status_code == 400
    return Outcome("invalid_credentials")


def fail(door: str, persona: Persona, **kwargs: Any) -> Outcome:
    return attempt(door, persona, "wrong-password", **kwargs)


@pytest.mark.parametrize("door", DOORS)
def test_each_failure_beyond_five_doubles_the_wait_up_to_a_minute(
    door: str, clock: Clock, tenant_a_supervisor: Persona
) -> None:
    for _ in range(5):
        assert fail(door, tenant_a_supervisor) == Outcome("invalid_credentials")
    waits = []
    for _ in range(8):
        refused = attempt(door, tenant_a_supervisor, tenant_a_supervisor.password)  # not even checked
        assert refused.code == "auth_throttled"
        waits.append(refused.retry_after)
        assert refused.retry_after is not None
        clock.advance(refused.retry_after)
        assert fail(door, tenant_a_supervisor) == Outcome("invalid_credentials")
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]

    clock.advance(25)
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password) == Outcome("auth_throttled", 35)
    clock.advance(35)
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password).code == "ok"
    # The success forgot the failures: five free ones again.
    for _ in range(5):
        assert fail(door, tenant_a_supervisor) == Outcome("invalid_credentials")
    assert fail(door, tenant_a_supervisor) == Outcome("auth_throttled", 1)


@pytest.mark.parametrize("door", DOORS)
def test_a_trusted_device_signs_in_during_an_attackers_burst(
    door: str, clock: Clock, tenant_a_supervisor: Persona
) -> None:
    owner = attempt(door, tenant_a_supervisor, tenant_a_supervisor.password)
    assert owner.code == "ok" and owner.device_token

    codes = [fail(door, tenant_a_supervisor, ip=ATTACKER).code for _ in range(30)]
    assert codes == ["invalid_credentials"] * 5 + ["auth_throttled"] * 25
    # Without the device's token even the right password waits now, from any address...
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password) == Outcome("auth_throttled", 1)

    # ...but the owner's device is not held back by the attacker's failures.
    again = attempt(door, tenant_a_supervisor, tenant_a_supervisor.password, device_token=owner.device_token)
    assert again.code == "ok"
    assert throttling.trusted_device("alpha", "supervisor", again.device_token) == throttling.trusted_device(
        "alpha", "supervisor", owner.device_token
    )
    # The owner's success does not reset the attacker's count.
    assert fail(door, tenant_a_supervisor, ip=ATTACKER) == Outcome("auth_throttled", 1)

    # The device's own mistakes slow the device down, on its own count.
    for _ in range(5):
        assert fail(door, tenant_a_supervisor, device_token=owner.device_token) == Outcome("invalid_credentials")
    refused = attempt(door, tenant_a_supervisor, tenant_a_supervisor.password, device_token=owner.device_token)
    assert refused == Outcome("auth_throttled", 1)


def test_a_device_token_is_trusted_only_by_the_login_it_was_given_for(
    clock: Clock, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    guards = attempt("rest", tenant_a_guard, tenant_a_guard.password).device_token
    for _ in range(5):
        fail("rest", tenant_a_supervisor, ip=ATTACKER)
    tampered = guards[:-2] + ("AA" if not guards.endswith("AA") else "BB")
    for token in (guards, tampered, "not-a-token"):
        assert attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password, device_token=token) == Outcome(
            "auth_throttled", 1
        )


def test_a_hundred_failures_behind_one_address_do_not_block_a_colleague(
    clock: Clock, tenant_a_supervisor: Persona
) -> None:
    """An office behind one NAT address: 100 people mistyping once each."""
    for n in range(100):
        assert fail("rest", tenant_a_supervisor, login=f"colleague{n}") == Outcome("invalid_credentials")
    assert attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password).code == "ok"


@override_settings(LOGIN_IP_SLOWDOWN_AFTER=4)
def test_an_address_that_keeps_failing_is_slowed_down_progressively(clock: Clock, tenant_a_supervisor: Persona) -> None:
    device = attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password, ip=ATTACKER).device_token
    for n in range(4):
        assert fail("rest", tenant_a_supervisor, login=f"user{n}", ip=ATTACKER) == Outcome("invalid_credentials")
    assert fail("rest", tenant_a_supervisor, login="user9", ip=ATTACKER) == Outcome("auth_throttled", 1)
    clock.advance(1)
    assert fail("rest", tenant_a_supervisor, login="user9", ip=ATTACKER) == Outcome("invalid_credentials")
    assert fail("rest", tenant_a_supervisor, login="user10", ip=ATTACKER) == Outcome("auth_throttled", 2)
    # Another address is not affected, nor a trusted device behind this one.
    assert attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password).code == "ok"
    assert attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password, ip=ATTACKER).code == "auth_throttled"
    trusted = attempt("rest", tenant_a_supervisor, tenant_a_supervisor.password, ip=ATTACKER, device_token=device)
    assert trusted.code == "ok"


@pytest.mark.parametrize("door", ["rest", "console"])
def test_without_redis_each_process_keeps_slowing_sign_ins_down(
    door: str, clock: Clock, tenant_a_supervisor: Persona, settings: Any, caplog: Any
) -> None:
    """Redis unreachable: no 500, and the same waits, counted in this process."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    for _ in range(5):
        assert fail(door, tenant_a_supervisor) == Outcome("invalid_credentials")
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password) == Outcome("auth_throttled", 1)
    clock.advance(1)
    assert fail(door, tenant_a_supervisor) == Outcome("invalid_credentials")
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password) == Outcome("auth_throttled", 2)
    clock.advance(2)
    assert attempt(door, tenant_a_supervisor, tenant_a_supervisor.password).code == "ok"
    assert "auth.throttle_store_unavailable" in caplog.text


@pytest.mark.parametrize(("forwarded", "expected"), [("", "127.0.0.1"), ("1.2.3.4, 5.6.7.8", "5.6.7.8")])
def test_client_address_trusts_one_proxy_hop(rf: Any, forwarded: str, expected: str) -> None:
    from apps.people.backends import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_the_free_attempts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty simultaneous wrong passwords: five are checked, fifteen are told to wait."""
    Clock(monkeypatch)
    persona = make_persona(make_tenant("burst"), "supervisor")
    barrier = threading.Barrier(20)
    codes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            check_credentials(tenant_slug="burst", login=persona.login, password="guess", ip=None, channel="rest")
        except DomainError as exc:
            codes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == ["auth_throttled"] * 15 + ["invalid_credentials"] * 5
