"""Hostile frames on the WebSocket: each answered in the socket's error shape, the socket
kept open (it used to close with 1011, an internal error), nothing else sent."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from apps.core.cleaning import MAX_JSON_DEPTH
from youtility.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

TIMEOUT = 5
MESSAGE = "The request contains a character that cannot be stored (NUL or an unpaired surrogate)."


async def _open(persona: Any, query: str = "") -> WebsocketCommunicator:
    pair = await sync_to_async(persona.tokens)()
    socket = WebsocketCommunicator(
        application, f"/ws/noc/{query}", headers=[(b"authorization", f"Bearer {pair.access}".encode())]
    )
    accepted, _ = await socket.connect(timeout=TIMEOUT)
    assert accepted is True
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    return socket


@pytest.mark.parametrize(
    ("frame", "answer"),
    [
        (
            '{"type": "ping", "note": "a\\u0000"}',
            {"type": "error", "code": "invalid_characters", "message": MESSAGE,
             "details": {"path": "$.note", "character": "U+0000"}},
        ),
        (
            '{"type": "\\ud800"}',
            {"type": "error", "code": "invalid_characters", "message": MESSAGE,
             "details": {"path": "$.type", "character": "U+D800"}},
        ),
        (
            '{"\\u0000": "ping"}',
            {"type": "error", "code": "invalid_characters", "message": MESSAGE,
             "details": {"path": '$["\\u0000"]', "character": "U+0000"}},
        ),
        (
            '{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}",
            {"type": "error", "code": "too_deeply_nested", "message": f"The JSON nests deeper than {MAX_JSON_DEPTH} levels.",
             "details": {"max_depth": MAX_JSON_DEPTH}},
        ),
        (
            '{"type": "ping", "x": 1e999}',
            {"type": "error", "code": "value_out_of_range", "message": "The number 1e999 is too large.",
             "details": {"value": "1e999"}},
        ),
        ('{"type": NaN}', {"type": "error", "code": "invalid_json"}),
    ],
)  # fmt: skip
async def test_a_hostile_frame_gets_an_error_and_the_socket_stays_open(
    tenant_a_supervisor: Any, frame: str, answer: dict[str, Any]
) -> None:
    socket = await _open(tenant_a_supervisor)
    try:
        await socket.send_to(text_data=frame)
        assert await socket.receive_json_from(timeout=TIMEOUT) == answer
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    finally:
        await socket.disconnect(timeout=1)


@pytest.mark.parametrize("query", ["?ticket=%00", "?ticket=%ED%A0%80", "?ticket=" + "x" * 5000])
async def test_a_hostile_ticket_is_refused_with_a_4xxx_close(query: str) -> None:
    socket = WebsocketCommunicator(application, f"/ws/noc/{query}")
    try:
        accepted, code = await socket.connect(timeout=TIMEOUT)
        assert (accepted, code) == (False, 4401)
    finally:
        await socket.disconnect(timeout=1)
