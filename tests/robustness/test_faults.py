"""Faults while serving, on real running servers (`pytest -m robust`):

- the action server down (connection refused) or silent (accepts, never answers): the person
  still gets a reply with 112 and the relevant hotline within 3 seconds;
- Rasa's HTTP API: off by default, and with RASA_API_TOKEN only with that token;
- the logs at the default level hold no message text, IP address or user agent;
- a restart keeps conversations (the municipality is remembered);
- the conversation database lost while serving: the error surfaces (safe reply, logged),
  and there is no silent fresh conversation.

Unreachable databases at start-up are covered by tests/test_launcher.py.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from robust_harness import SAFE_REPLY_SECONDS, post_raw, say

pytestmark = pytest.mark.robust

ASKS_MUNICIPALITY = "Hvilken kommune bor du i"
RANDERS = '/inform_municipality{"municipality":"Randers"}'

# (message, the hotline the reply must contain besides 112)
CASES = [
    ("jeg har gæld", "1888"),                 # a topic question: needs the action server
    ("min kæreste slår mig", "1888"),         # violence: Lev Uden Vold
    ("jeg vil ikke leve mere", "70 201 201"),  # suicidal crisis: Livslinien
]


@pytest.mark.parametrize("mode", ["down", "blackhole"])
def test_action_server_down_or_silent_still_gives_112_within_3_seconds(faulty_rasa,
                                                                       mode: str) -> None:
    server, proxy = faulty_rasa
    proxy.set_mode(mode)
    before = proxy.connections
    for message, hotline in CASES:
        sender = f"fault-{mode}-{secrets.token_hex(4)}"
        reply = say(server.port, sender, message, timeout=30)
        assert reply.status == 200, reply.body[:200]
        assert reply.seconds < SAFE_REPLY_SECONDS, (message, round(reply.seconds, 2))
        assert "112" in reply.text and hotline in reply.text, (message, reply.text)
    if mode == "blackhole":
        # Rasa did call the action server, and got no answer.
        assert proxy.connections > before


def test_rasa_api_needs_the_token_when_enabled(faulty_rasa, api_token: str) -> None:
    server, _ = faulty_rasa

    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(server.url + path, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    assert status("/status") == 401
    assert status("/status?token=wrong") == 401
    assert status("/conversations/x/tracker") == 401
    assert status(f"/status?token={api_token}") == 200


def test_rasa_api_is_off_by_default(assistant) -> None:
    for path in ("/status", "/version", "/conversations/x/tracker", "/model/parse"):
        reply = post_raw(assistant.rasa_port, b"{}", path=path, method="GET", timeout=10)
        assert reply.status == 404, (path, reply.status)


def test_logs_hold_no_message_text_ip_or_user_agent(assistant) -> None:
    marker = f"Markør{secrets.token_hex(6)}"
    agent = f"AgentMarker/{secrets.token_hex(6)}"
    forwarded = "203.0.113.77"
    log_before = len(assistant.log_text())
    headers = {"User-Agent": agent, "X-Forwarded-For": forwarded}
    sender = f"log-{secrets.token_hex(4)}"
    for message in (f"jeg har gæld {marker}", f"/{marker}{{ikke json", f"/ask_{marker}",
                    f"{marker} mit cpr er 010190-1234 og tlf 12345678", "x" * 5000 + marker):
        say(assistant.rasa_port, sender, message, headers=headers, timeout=30)
    post_raw(assistant.rasa_port, b'{"sender": "a", "message": "' + marker.encode() + b'\xff"}',
             headers=headers)
    post_raw(assistant.rasa_port, marker.encode(), path=f"/nowhere/{quote(marker)}",
             headers=headers)
    time.sleep(1.5)  # let the processes flush
    log = assistant.log_text()
    new = log[log_before:]
    assert marker not in log and marker.lower() not in log.lower()
    assert agent not in log and "AgentMarker" not in log
    assert forwarded not in log
    assert "127.0.0.1" not in new  # no client address in what was logged while serving
    assert "010190" not in log and "12345678" not in log


def test_restart_keeps_the_conversation(assistant) -> None:
    if os.environ.get("ROBUST_EXTERNAL"):
        pytest.skip("cannot restart an external assistant")
    sender = f"restart-{secrets.token_hex(4)}"
    assert ASKS_MUNICIPALITY in say(assistant.rasa_port, sender, "jeg har gæld").text
    assert "Randers" in say(assistant.rasa_port, sender, RANDERS).text
    stored = assistant.stored_events(sender)
    assert stored > 0

    assistant.stop()
    assistant.start()

    reply = say(assistant.rasa_port, sender, "jeg er hjemløs")
    assert reply.status == 200
    assert ASKS_MUNICIPALITY not in reply.text, reply.text
    assert "Randers" in reply.text, reply.text
    assert assistant.stored_events(sender) > stored


def test_database_lost_while_serving_surfaces_the_error(assistant) -> None:
    sender = f"dblost-{secrets.token_hex(4)}"
    say(assistant.rasa_port, sender, "jeg har gæld")
    assert "Randers" in say(assistant.rasa_port, sender, RANDERS).text
    db = assistant.tracker_db
    moved = db.with_name("tracker.db.away")
    log_before = len(assistant.log_text())
    db.rename(moved)
    db.mkdir()  # the path exists but is no database: every connection fails
    try:
        for message in ("jeg er hjemløs", "jeg har gæld", "hej"):
            reply = say(assistant.rasa_port, sender, message, timeout=30)
            assert reply.status == 200
            # No fresh conversation that asks for the municipality again: the safe reply.
            assert ASKS_MUNICIPALITY not in reply.text, reply.text
            assert "112" in reply.text and "1888" in reply.text, reply.text
            assert reply.seconds < SAFE_REPLY_SECONDS + 1
        time.sleep(0.5)
        new_log = assistant.log_text()[log_before:]
        assert "message handling failed: OperationalError" in new_log, new_log[-2000:]
    finally:
        shutil.rmtree(db)
        moved.rename(db)
    # The database is back: the conversation goes on where it was.
    reply = say(assistant.rasa_port, sender, "jeg er hjemløs")
    assert "Randers" in reply.text and ASKS_MUNICIPALITY not in reply.text, reply.text


def test_client_leaving_mid_reply_logs_no_text(faulty_rasa) -> None:
    """A client that disconnects while its message is handled (here: the action server is
    silent) makes Rasa log `rest.message.received.timeout` - without the message text."""
    server, proxy = faulty_rasa
    proxy.set_mode("blackhole")
    marker = f"Forladt{secrets.token_hex(6)}"
    with pytest.raises(OSError):  # socket.timeout: we leave before the reply
        say(server.port, f"leave-{secrets.token_hex(4)}", f"jeg har gæld {marker}",
            timeout=0.4)
    time.sleep(SAFE_REPLY_SECONDS + 0.5)
    log = server.log_text()
    assert "rest.message.received.timeout" in log  # the case did happen
    assert marker not in log
