"""Login throttling: failures slow a login down, then lock it; the address is watched too."""

from __future__ import annotations

import pytest
from django.test import override_settings

TOKEN_URL = "/api/v1/auth/token/"


def attempt(api, password, login="supervisor", ip="203.0.113.7"):  # type: ignore[no-untyped-def]
    return api.post(
        TOKEN_URL,
        {"tenant": "alpha", "login": login, "password": password},
        format="json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_failures_slow_down_then_correct_password_is_also_held_back(api, tenant_a_supervisor):
    for _ in range(5):
        assert attempt(api, "wrong-password").json()["error"]["code"] == "invalid_credentials"
    response = attempt(api, tenant_a_supervisor.password)
    assert response.status_code == 429
    body = response.json()["error"]
    assert body["code"] == "auth_throttled"
    assert body["details"] == {"retry_after": 1}
    assert response["Retry-After"] == "1"


@override_settings(LOGIN_SLOWDOWN_AFTER=100, LOGIN_LOCKOUT_AFTER=4, LOGIN_LOCKOUT_SECONDS=900)
def test_lockout_after_repeated_failures(api, tenant_a_supervisor):
    for _ in range(4):
        assert attempt(api, "wrong-password").json()["error"]["code"] == "invalid_credentials"
    response = attempt(api, tenant_a_supervisor.password)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "auth_locked"
    assert 899 <= int(response["Retry-After"]) <= 900
    # Another login of the same tenant is not affected.
    assert attempt(api, "wrong", login="someone-else").json()["error"]["code"] == "invalid_credentials"


def test_success_resets_the_login_counter(api, tenant_a_supervisor):
    for _ in range(4):
        attempt(api, "wrong-password")
    assert attempt(api, tenant_a_supervisor.password).status_code == 200
    for _ in range(4):
        assert attempt(api, "wrong-password").json()["error"]["code"] == "invalid_credentials"


@override_settings(LOGIN_IP_SLOWDOWN_AFTER=3, LOGIN_IP_LOCKOUT_AFTER=50)
def test_one_address_trying_many_logins_is_slowed(api, tenant_a_supervisor):
    for n in range(3):
        attempt(api, "wrong", login=f"user{n}", ip="198.51.100.9")
    response = attempt(api, tenant_a_supervisor.password, ip="198.51.100.9")
    assert (response.status_code, response.json()["error"]["code"]) == (429, "auth_throttled")
    # A different address signs in fine.
    assert attempt(api, tenant_a_supervisor.password, ip="198.51.100.10").status_code == 200


@pytest.mark.parametrize(("forwarded", "expected"), [("", "127.0.0.1"), ("1.2.3.4, 5.6.7.8", "5.6.7.8")])
def test_client_address_trusts_one_proxy_hop(rf, forwarded, expected):
    from apps.people.backends import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_SLOWDOWN_AFTER=100, LOGIN_LOCKOUT_AFTER=5)
def test_parallel_guesses_cannot_exceed_the_lockout():
    """Twenty simultaneous wrong passwords: at most five are checked, the rest are locked out."""
    import threading

    from django.db import connections

    from apps.core.errors import DomainError
    from apps.people.services import check_credentials
    from conftest import make_persona, make_tenant

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
    assert len(codes) == 20
    assert codes.count("invalid_credentials") == 5
    assert codes.count("auth_locked") == 15
