"""The channel guard: the person always gets an answer, and nothing they wrote is logged."""

from __future__ import annotations

import asyncio
import logging
import time

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


def test_control_characters_are_removed_before_processing() -> None:
    seen: list[str] = []

    async def record(message: UserMessage) -> None:
        seen.append(message.text)
        await replies_hej(message)

    run_guarded(record, "  hej\x00 med\x07 dig  ")
    assert seen == ["hej med dig"]
