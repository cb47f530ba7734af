"""The front door keeps /metrics to itself: deploy/nginx.conf.template, rendered by
scripts/nginx-conf.sh as ``make run`` does, run by a real nginx on a spare port in front
of the test server.

By default nginx answers /metrics with 404 without asking the application; with
NGINX_PROXY_METRICS=1 it passes the request on and the application decides (loopback or
the token), seeing the client's address in X-Forwarded-For rather than nginx's loopback.
"""

from __future__ import annotations

import getpass
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from apps.core.metrics import HTTP_REQUESTS

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def outside_address() -> str | None:
    """This machine's address on a non-loopback interface (connecting from it is not loopback)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("198.51.100.1", 9))  # no packet is sent: this only picks the route
            address = str(sock.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def get(url: str, source: str | None = None, **headers: str) -> tuple[int, bytes]:
    """GET ``url`` (from ``source`` when given), returning the status and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=10, source_address=(source, 0) if source else None
    )
    try:
        conn.request("GET", parts.path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def app_scrapes() -> float:
    """/metrics requests the application itself answered, as this process counted them."""
    return sum(
        sample.value
        for metric in HTTP_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("route") == "/metrics"
    )


@pytest.fixture
def front_door(tmp_path: Path, live_server: Any) -> Iterator[Callable[..., str]]:
    """``front_door(proxy_metrics, host)``: start nginx on ``host`` in front of the test server."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*, proxy_metrics: bool, host: str = "127.0.0.1") -> str:
        root = tmp_path / f"nginx-{len(started)}"
        (root / "var" / "nginx" / "tmp").mkdir(parents=True)
        port = free_port()
        env = {
            **os.environ,
            "ROOT": str(root),
            "HOST": host,
            "PORT": str(port),
            "WSGI_PORT": str(urlsplit(live_server.url).port),
            "ASGI_PORT": str(free_port()),
            # nginx started as root runs its workers as "nobody" unless told otherwise.
            "USER_LINE": f"user {getpass.getuser()};" if os.geteuid() == 0 else "",
            "NGINX_PROXY_METRICS": "1" if proxy_metrics else "0",
        }
        rendered = subprocess.run(
            ["bash", "scripts/nginx-conf.sh"], env=env, cwd=settings.BASE_DIR, capture_output=True, check=True
        )
        config = root / "nginx.conf"
        config.write_bytes(rendered.stdout)
        process = subprocess.Popen(
            ["nginx", "-e", "stderr", "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((host, port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else b""
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        return f"http://{host}:{port}"

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_nginx_does_not_pass_metrics_on_unless_the_operator_opts_in(
    front_door: Callable[..., str], settings: Any
) -> None:
    settings.METRICS_TOKEN = secrets.token_urlsafe(32)
    base = front_door(proxy_metrics=False)
    assert get(f"{base}/healthz") == (200, b'{"status": "ok"}')
    before = app_scrapes()
    for headers in ({}, {"Authorization": f"Bearer {settings.METRICS_TOKEN}"}):
        status, body = get(f"{base}/metrics", **headers)
        assert status == 404 and b"youtility_" not in body
    for path in ("/metrics?x=1", "//metrics", "/%6detrics"):  # the same location once nginx normalises it
        assert get(f"{base}{path}")[0] == 404
    assert app_scrapes() == before  # nginx answered; the application never saw them


def test_with_the_opt_in_the_application_decides_on_the_clients_address(
    front_door: Callable[..., str], settings: Any
) -> None:
    settings.METRICS_TOKEN = secrets.token_urlsafe(32)
    local = front_door(proxy_metrics=True)
    status, body = get(f"{local}/metrics")
    assert status == 200 and b"youtility_http_requests_total" in body  # a scraper on this host

    address = outside_address()
    if address is None:
        pytest.skip("no non-loopback interface to connect from")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, address]
    remote = front_door(proxy_metrics=True, host=address)
    before = app_scrapes()
    assert get(f"{remote}/metrics", source=address)[0] == 404
    forged = get(f"{remote}/metrics", source=address, **{"X-Forwarded-For": "127.0.0.1"})
    assert forged[0] == 404
    status, body = get(f"{remote}/metrics", source=address, Authorization=f"Bearer {settings.METRICS_TOKEN}")
    assert status == 200 and b"youtility_http_requests_total" in body
    assert app_scrapes() - before == 3  # the application, not nginx, refused the first two
