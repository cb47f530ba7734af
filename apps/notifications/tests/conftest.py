"""Fixtures of the notifications tests: a real HTTP receiver, synchronous task runs, fake DNS.

The receiver is a threaded ``http.server`` on a loopback address that records every
connection and request and answers with the status codes a test queues. Webhooks aimed at
it need the operator's allow-list to cover loopback (``loopback_allowed``), which these
tests thereby prove works.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.notifications import tasks
from apps.notifications.models import NotificationLog, WebhookDelivery
from youtility.celery import app as celery_app


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Receiver:
    host: str
    server: http.server.ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)  # SNI seen, for TLS receivers
    codes: deque[int] = field(default_factory=deque)
    default_code: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    drip: bool = False  # send the headers one line every 0.2 s, for the deadline test
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hooks/in", host: str | None = None, scheme: str = "http") -> str:
        name = host or self.host
        name = f"[{name}]" if ":" in name else name
        return f"{scheme}://{name}:{self.port}{path}"

    def answer(self, *codes: int) -> None:
        """Answer the next requests with these codes, then with ``default_code``."""
        self.codes.extend(codes)

    def next_code(self) -> int:
        with self.lock:
            return self.codes.popleft() if self.codes else self.default_code


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.requests.append(
                    Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            code = receiver.next_code()
            if receiver.delay:
                time.sleep(receiver.delay)
            if receiver.drip:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(25):
                    self.wfile.write(b"X-Slow: 1\r\n")
                    self.wfile.flush()
                    time.sleep(0.2)
                return
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", receiver.url("/redirected"))
            self.send_header("Content-Length", str(len(receiver.body)))
            self.end_headers()
            self.wfile.write(receiver.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_receiver(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Receiver:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(http.server.ThreadingHTTPServer):
        address_family = family
        daemon_threads = True
        owner: Receiver

        def verify_request(self, request: Any, client_address: Any) -> bool:
            self.owner.connections += 1
            return True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client hung up first (a timeout test, a refused redirect): nothing to report

    server = Server((host, 0), http.server.BaseHTTPRequestHandler)
    running = Receiver(host=host, server=server)
    server.owner = running
    server.RequestHandlerClass = _handler(running)
    if tls is not None:
        tls.sni_callback = lambda sock, name, ctx: running.server_names.append(name)  # type: ignore[assignment,func-returns-value]
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return running


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    """The operator lets webhooks reach the loopback receivers (127.0.0.1 and ::1)."""
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32", "::1/128"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1."""
    running = start_receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def receiver6() -> Iterator[Receiver]:
    """A receiver on the IPv6 loopback, ::1."""
    running = start_receiver("::1")
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate (and key) for hooks.example.test, made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hooks.example.test",
            "-addext",
            "subjectAltName=DNS:hooks.example.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    """A receiver speaking https on 127.0.0.1 with the hooks.example.test certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    running = start_receiver(tls=context)
    yield running
    running.server.shutdown()
    running.server.server_close()


class FakeDNS(dict[str, list[str]]):
    """Name -> addresses; ``lookups`` lists the names asked for, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[str] = []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Names resolving to the addresses a test chooses; any other name resolves as usual."""
    table = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        table.lookups.append(host)
        if host in table:
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                if ":" in address
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in table[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def fast_retries(settings: Any) -> None:
    """Retries due at once (backoff base 0), so a test runs a whole retry sequence."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS = 0


@pytest.fixture
def eager(fast_retries: None) -> Iterator[None]:
    """Tasks run in-process when published (from ``on_commit``), retries included."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any, eager: None) -> Callable[..., Any]:
    """``with run_on_commit(): ...``: the block's on-commit work (and the retries it queues) runs at its end."""

    def runner() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return runner


def deliver(tenant: Any, delivery: WebhookDelivery) -> str:
    """Run one attempt of ``delivery`` now, as the worker would."""
    with tenant_context(tenant):
        return tasks.deliver_webhook(delivery.pk, str(delivery.uuid))


def send(tenant: Any, row: NotificationLog) -> str:
    with tenant_context(tenant):
        return tasks.send_email(row.pk, str(row.uuid))
