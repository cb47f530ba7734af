"""Liveness and readiness probes against the real PostgreSQL, Redis and Mosquitto."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from apps.core import views

ALL_OK = {"database": "ok", "redis": "ok", "mqtt": "ok"}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_broker() -> Iterator[int]:
    """A port that completes the TCP handshake (listen backlog) but never says a word,
    like a broker that hangs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def unreachable_broker() -> Iterator[int]:
    """A port whose TCP connects hang, like a host that drops packets: the listen queue
    (backlog 0) is full with one connection nobody accepts, so Linux drops new SYNs."""
    with socket.socket() as sock, socket.socket() as filler:
        sock.bind(("127.0.0.1", 0))
        sock.listen(0)
        filler.connect(sock.getsockname())
        yield sock.getsockname()[1]


def not_ready(failing: list[str]) -> dict:
    checks = {name: ("unavailable" if name in failing else "ok") for name in ALL_OK}
    return {
        "error": {
            "code": "not_ready",
            "message": f"Not ready: {', '.join(failing)} unavailable.",
            "details": {"checks": checks, "failing": failing},
        }
    }


def test_healthz_answers_without_checking_dependencies(client):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_every_dependency_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": ALL_OK}


@pytest.mark.django_db
def test_readyz_names_a_broker_that_refuses_connections(client):
    with override_settings(MQTT_URL=f"mqtt://127.0.0.1:{closed_port()}"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == not_ready(["mqtt"])


@pytest.mark.django_db
def test_readyz_names_redis_when_it_is_down(client):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == not_ready(["redis"])


@pytest.mark.django_db
def test_readyz_names_every_failing_dependency(client):
    with override_settings(
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", MQTT_URL=f"mqtt://127.0.0.1:{closed_port()}"
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == not_ready(["redis", "mqtt"])


@pytest.mark.django_db
def test_readyz_gives_up_on_a_silent_broker_in_bounded_time(client, silent_broker):
    started = time.monotonic()
    with override_settings(MQTT_URL=f"mqtt://127.0.0.1:{silent_broker}"):
        response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == not_ready(["mqtt"])
    # It waited for the CONNACK until its deadline, and not longer.
    assert views.CHECK_TIMEOUT_SECONDS <= elapsed < views.CHECK_TIMEOUT_SECONDS + 1.0


@pytest.mark.django_db
def test_readyz_gives_up_on_an_unreachable_broker_in_bounded_time(client, unreachable_broker):
    started = time.monotonic()
    with override_settings(MQTT_URL=f"mqtt://127.0.0.1:{unreachable_broker}"):
        response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == not_ready(["mqtt"])
    assert views.CHECK_TIMEOUT_SECONDS <= elapsed < views.CHECK_TIMEOUT_SECONDS + 1.0


def test_mqtt_check_leaves_no_socket_open():
    def open_sockets() -> int:
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
            except FileNotFoundError:  # the descriptor listdir itself used
                continue
        return count

    views._check_mqtt()  # warm up: imports, DNS, anything cached
    before = open_sockets()
    for _ in range(5):
        views._check_mqtt()
    assert open_sockets() == before


def test_readyz_refuses_other_methods(client):
    assert client.post("/readyz").status_code == 405
