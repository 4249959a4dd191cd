"""The channel guard: the person always gets an answer, and nothing they wrote is logged."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from assistant import channels


def run_guarded(handler, text: str, sender: str = "s1", burst=None) -> list[dict]:
    collector = CollectingOutputChannel()
    guarded = channels.guard(handler, burst or channels._Burst())
    asyncio.run(guarded(UserMessage(text, collector, sender)))
    return collector.messages


async def replies_hej(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, "Hej!")


async def crashes(message: UserMessage) -> None:
    raise RuntimeError(f"database gone while handling {message.text}")


async def says_nothing(message: UserMessage) -> None:
    return None


async def hangs(message: UserMessage) -> None:
    await asyncio.sleep(30)


def test_normal_reply_passes_through() -> None:
    assert [m["text"] for m in run_guarded(replies_hej, "hej")] == ["Hej!"]


@pytest.mark.parametrize("handler", [crashes, says_nothing])
def test_failures_still_give_112(handler, caplog: pytest.LogCaptureFixture) -> None:
    secret = "mit cpr er 010190-1234"
    with caplog.at_level(logging.INFO):
        messages = run_guarded(handler, secret)
    assert len(messages) == 1
    assert "112" in messages[0]["text"] and "1888" in messages[0]["text"]
    assert "010190" not in caplog.text


def test_slow_handling_is_cut_off_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channels, "REPLY_BUDGET", 0.3)
    start = time.monotonic()
    messages = run_guarded(hangs, "hej")
    assert time.monotonic() - start < 2
    assert "112" in messages[0]["text"]


@pytest.mark.parametrize(("text", "key"), [
    ("", "utter_error_empty"), ("   \n\t ", "utter_error_empty"),
    ("\x00\x01", "utter_error_empty"), ("a" * 10_000, "utter_error_too_long"),
], ids=["empty", "whitespace", "control-only", "10000-chars"])
def test_bad_input_gets_a_danish_answer(text: str, key: str) -> None:
    messages = run_guarded(replies_hej, text)
    assert [m["text"] for m in messages] == [channels._Texts.get(key)]


def test_rapid_repeats_are_slowed_down() -> None:
    burst = channels._Burst()
    answers = [run_guarded(replies_hej, "hej", burst=burst)[0]["text"]
               for _ in range(channels.BURST + 3)]
    assert answers[: channels.BURST] == ["Hej!"] * channels.BURST
    assert answers[-1] == channels._Texts.get("utter_error_too_fast")
    other = run_guarded(replies_hej, "hej", sender="someone-else", burst=burst)
    assert other[0]["text"] == "Hej!"


def text_reaching_rasa(text: str) -> list[str]:
    seen: list[str] = []

    async def record(message: UserMessage) -> None:
        seen.append(message.text)
        await replies_hej(message)

    run_guarded(record, text)
    return seen


def test_control_characters_are_removed_before_processing() -> None:
    assert text_reaching_rasa("  hej\x00 med\x07 dig  ") == ["hej med dig"]


def test_lone_surrogates_are_removed_before_processing() -> None:
    seen = text_reaching_rasa("hej\ud800 med\udfff dig")
    assert seen == ["hej med dig"]
    assert seen[0].encode("utf-8")


# --- socket.io: the Origin check and sessions (session_persistence) -----------------------

SESSION = "0123456789abcdef0123456789abcdef"


def test_origin_check_allows_only_the_listed_origins() -> None:
    check = channels.OriginCheck(["https://www.randers.dk/", "http://localhost:8080"])
    assert check("https://www.randers.dk")
    assert check("HTTPS://WWW.RANDERS.DK:443")
    assert check("http://localhost:8080")
    for origin in ("https://evil.example", "http://localhost:8081", "https://randers.dk",
                   "http://www.randers.dk", "null", "", None):
        assert not check(origin), origin


def test_origin_check_never_allows_every_origin(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        check = channels.OriginCheck(["*", "https://kommune.example"])
    assert "'*'" in caplog.text
    assert not check("https://evil.example")
    assert check("https://kommune.example")
    assert not channels.OriginCheck([])("https://kommune.example")


def test_default_cors_origins_are_the_web_chat_servers_own() -> None:
    from assistant.config import load_settings

    assert load_settings({"WEB_PORT": "8181"}).cors_origins == (
        "http://localhost:8181", "http://127.0.0.1:8181")
    named = load_settings({"WEB_HOST": "chat.kommune.example", "WEB_PORT": "8080"})
    assert "http://chat.kommune.example:8080" in named.cors_origins
    listed = load_settings({"CORS_ORIGINS": " https://Kommune.example/ ,https://kommune.example"})
    assert listed.cors_origins == ("https://kommune.example",)


def socket_input(monkeypatch: pytest.MonkeyPatch, handler, persistence: bool = True,
                 origins: str = "https://kommune.example"):
    """SafeSocketIOInput's blueprint as Rasa builds it, with emits recorded."""
    monkeypatch.setenv("CORS_ORIGINS", origins)
    channel = channels.SafeSocketIOInput.from_credentials({
        "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
        "session_persistence": persistence})
    channel.blueprint(handler)
    sio = channel.sio
    emitted: list[tuple[str, Any, str]] = []

    async def emit(event: str, data: Any = None, room: str = "", **_kwargs: Any) -> None:
        emitted.append((event, data, room))

    sio.emit = emit  # type: ignore[method-assign]
    sio.manager.initialize()
    return channel, sio, emitted


async def connected(sio: Any, eio_sid: str) -> str:
    return await sio.manager.connect(eio_sid, "/")


def test_socket_handshake_checks_the_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    _channel, sio, _emitted = socket_input(monkeypatch, replies_hej)
    check = sio.eio.cors_allowed_origins
    assert isinstance(check, channels.OriginCheck)
    # What engineio does with it for every handshake that carries an Origin header:
    assert sio.eio._cors_allowed_origins({"HTTP_ORIGIN": "https://evil.example"}) == []
    assert sio.eio._cors_allowed_origins({"HTTP_ORIGIN": "https://kommune.example"}) == [
        "https://kommune.example"]


def test_session_persistence_joins_the_room_and_binds_the_session(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def record(message: UserMessage) -> None:
        seen.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "Hej!")

    channel, sio, emitted = socket_input(monkeypatch, record)
    handlers = sio.handlers["/"]

    async def scenario() -> None:
        first = await connected(sio, "eio-1")
        await handlers["user_uttered"](first, {"message": "hej", "session_id": SESSION})
        assert seen == []  # before session_request: ignored
        await handlers["session_request"](first, {"session_id": SESSION})
        assert SESSION in sio.manager.get_rooms(first, "/")
        assert emitted[-1] == ("session_confirm", SESSION, first)
        # A session id in the message itself does not move it to another conversation.
        await handlers["user_uttered"](first, {"message": "hej", "session_id": "x" * 32})
        assert seen == [SESSION]
        assert emitted[-1] == ("bot_uttered", {"text": "Hej!"}, SESSION)

        # Reconnect: a new socket.io connection asks for the same session and continues it.
        await handlers["disconnect"](first, "transport close")
        await sio.manager.disconnect(first, "/")
        assert first not in channel.sessions
        second = await connected(sio, "eio-2")
        assert second != first
        await handlers["session_request"](second, {"session_id": SESSION})
        await handlers["user_uttered"](second, {"message": "hej igen"})
        assert seen == [SESSION, SESSION]
        assert sio.manager.get_rooms(second, "/").count(SESSION) == 1

    asyncio.run(scenario())


@pytest.mark.parametrize("requested", [None, "", "kort", "a b" * 10, "ø" * 32, 12345,
                                       "x" * 129])
def test_unusable_session_ids_get_a_fresh_random_one(
        monkeypatch: pytest.MonkeyPatch, requested: Any) -> None:
    _channel, sio, emitted = socket_input(monkeypatch, replies_hej)

    async def scenario() -> str:
        sid = await connected(sio, "eio-1")
        await sio.handlers["/"]["session_request"](sid, {"session_id": requested})
        return sid

    sid = asyncio.run(scenario())
    event, session, room = emitted[-1]
    assert event == "session_confirm" and room == sid
    assert session != requested and channels.session_id_ok(session)
    assert len(session) == 32


def test_without_session_persistence_the_socket_is_the_conversation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def record(message: UserMessage) -> None:
        seen.append(message.sender_id)
        await replies_hej(message)

    _channel, sio, _emitted = socket_input(monkeypatch, record, persistence=False)

    async def scenario() -> str:
        sid = await connected(sio, "eio-1")
        await sio.handlers["/"]["session_request"](sid, {"session_id": SESSION})
        assert sio.manager.get_rooms(sid, "/") == [sid]
        await sio.handlers["/"]["user_uttered"](sid, {"message": "hej"})
        return sid

    assert seen == [asyncio.run(scenario())]


def test_credentials_use_session_persistence() -> None:
    import yaml

    from assistant.config import PROJECT_ROOT

    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    assert credentials["assistant.channels.SafeSocketIOInput"]["session_persistence"] is True
