"""The log filter that keeps message text out of Rasa's structured log lines (no server
needed: runs in `make unit`)."""

from __future__ import annotations

import json
import logging

from assistant.channels import _NoMessageText


def record(name: str, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (), None)


def test_message_text_is_removed_from_rasa_json_lines() -> None:
    line = json.dumps({"text": "mit cpr er 010190-1234", "event": "rest.message.received.timeout",
                       "level": "error"})
    rec = record("rasa.core.channels.rest", line)
    assert _NoMessageText().filter(rec)
    data = json.loads(rec.getMessage())
    assert data["text"] == "[removed]" and data["event"] == "rest.message.received.timeout"


def test_other_lines_are_left_alone() -> None:
    for name, msg in [("rasa.core.processor", '{"event": "x", "level": "info"}'),
                      ("rasa.core.processor", "Loading model {x}"),
                      ("sanic.root", '{"text": "not ours"}')]:
        rec = record(name, msg)
        assert _NoMessageText().filter(rec)
        assert rec.getMessage() == msg
