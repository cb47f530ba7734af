"""Refresh rotation and logout under concurrency, against the real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from apps.core.errors import AuthenticationFailed
from apps.core.tenancy import system_context, tenant_context
from apps.people import services
from apps.people.models import RefreshToken
from conftest import make_persona, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Start the calls at the same moment in threads; each result is ("ok", value) or ("error", code)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("pending", None)] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = ("ok", call())
        except AuthenticationFailed as exc:
            results[index] = ("error", exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_refreshes_of_one_token_cannot_both_win():
    persona = make_persona(make_tenant("racer"), "supervisor")
    pair = persona.tokens()
    results = run_together(*[lambda: services.refresh_tokens(refresh=pair.refresh)] * 2)
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert [value for kind, value in results if kind == "error"] == ["token_revoked"]
    winner = next(value for kind, value in results if kind == "ok")
    # The loser presented a used token: the whole sign-in, the winner's tokens included, is dead.
    with pytest.raises(AuthenticationFailed) as refused:
        services.refresh_tokens(refresh=winner.refresh)
    assert refused.value.code == "token_revoked"
    with system_context("test"):
        assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_logout_racing_a_refresh_leaves_nothing_usable():
    persona = make_persona(make_tenant("logout-race"), "supervisor")
    first = persona.tokens()
    second = services.refresh_tokens(refresh=first.refresh)  # first is now used, second current
    results = run_together(
        lambda: services.refresh_tokens(refresh=second.refresh),
        lambda: services.revoke_refresh(refresh=first.refresh),
    )
    assert results[1] == ("ok", None)
    if results[0][0] == "ok":
        with pytest.raises(AuthenticationFailed) as refused:
            services.refresh_tokens(refresh=results[0][1].refresh)
        assert refused.value.code == "token_revoked"
    else:
        assert results[0] == ("error", "token_revoked")


def test_password_change_revokes_every_sign_in():
    persona = make_persona(make_tenant("pwchange"), "supervisor")
    phone, laptop = persona.tokens(), persona.tokens()
    with tenant_context(persona.tenant):
        services.set_password(persona.person, "a-brand-new-secret-9")
    for pair in (phone, laptop):
        with pytest.raises(AuthenticationFailed) as refused:
            services.refresh_tokens(refresh=pair.refresh)
        assert refused.value.code == "token_revoked"
        with pytest.raises(AuthenticationFailed) as denied:
            services.verify_access(pair.access)
        assert denied.value.code == "token_revoked"


@pytest.mark.parametrize("token", ["rt1.².aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "rt1.١.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
def test_refresh_tokens_with_unicode_digits_are_invalid_not_500(api, token):
    for url in ("/api/v1/auth/token/refresh/", "/api/v1/auth/token/revoke/"):
        response = api.post(url, {"refresh": token}, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (401, "token_invalid")
