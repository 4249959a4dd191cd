"""The socket.io handshake of the running Rasa server accepts only CORS_ORIGINS.

Raw Engine.IO v4 handshakes (HTTP long-polling and WebSocket) with an Origin header, against
the assistant the harness started (CORS_ORIGINS = the web chat server's own origins and the
embedding test site's). No browser needed, but the running assistant is: marked `web`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import websocket  # websocket-client
from web_harness import Assistant

pytestmark = pytest.mark.web

FOREIGN = ["http://evil.example", "https://www.example.com", "null",
           "http://localhost:1"]


def polling_handshake(assistant: Assistant, origin: str | None) -> tuple[int, str]:
    url = f"{assistant.rasa_url}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": origin} if origin is not None else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


@pytest.mark.parametrize("origin", FOREIGN)
def test_polling_handshake_from_a_foreign_origin_is_refused(
        assistant: Assistant, origin: str) -> None:
    status, body = polling_handshake(assistant, origin)
    assert status == 400, body
    assert "not an accepted origin" in body
    assert '"sid"' not in body


def test_polling_handshake_from_the_allowed_origins_opens_a_session(
        assistant: Assistant) -> None:
    assert len(assistant.allowed_origins) == 3
    for origin in assistant.allowed_origins:
        status, body = polling_handshake(assistant, origin)
        assert status == 200, (origin, body)
        assert body.startswith("0")  # Engine.IO OPEN packet
        assert json.loads(body[1:])["sid"]


def test_websocket_handshake_checks_the_origin_too(assistant: Assistant) -> None:
    url = (f"ws://127.0.0.1:{assistant.rasa_port}/socket.io/?EIO=4&transport=websocket"
           "&sender=0123456789abcdef0123456789abcdef")
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, origin="http://evil.example", timeout=10)
    assert refused.value.status_code == 400

    ws = websocket.create_connection(url, origin=f"http://localhost:{assistant.web_port}",
                                     timeout=10)
    try:
        opened = ws.recv()
    finally:
        ws.close()
    assert isinstance(opened, str) and opened.startswith("0")  # Engine.IO OPEN packet
    assert json.loads(opened[1:])["sid"]
