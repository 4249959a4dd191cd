"""The benchmark's conversations (bench/conversations.yml): loading and validation.

Kept free of Rasa and locust imports, so the load generator and the tests can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONVERSATIONS_FILE = Path(__file__).resolve().parent / "conversations.yml"
DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"
MAX_STEPS = 12  # the channel's burst limit (assistant/channels.py BURST) per sender


@dataclass(frozen=True)
class Step:
    say: str
    expect: tuple[str, ...] = ()

    def matches(self, reply: str) -> bool:
        """True if there is nothing to expect or the reply contains one expected text."""
        if not self.expect:
            return True
        folded = reply.casefold()
        return any(e.casefold() in folded for e in self.expect)


@dataclass(frozen=True)
class Conversation:
    name: str
    weight: int
    steps: tuple[Step, ...]


class ConversationFileError(ValueError):
    pass


def parse_conversations(data: Any, source: str = "conversations") -> list[Conversation]:
    """Validate the parsed YAML; every problem names the conversation and step."""
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ConversationFileError(f"{source}: expected a mapping with 'version: 1'")
    items = data.get("conversations")
    if not isinstance(items, list) or not items:
        raise ConversationFileError(f"{source}: 'conversations' must be a non-empty list")
    result: list[Conversation] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        where = f"{source}: conversation {i + 1}"
        if not isinstance(item, dict):
            raise ConversationFileError(f"{where}: must be a mapping")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConversationFileError(f"{where}: 'name' is missing")
        where = f"{source}: conversation '{name}'"
        if name in names:
            raise ConversationFileError(f"{where}: the name is used twice")
        names.add(name)
        weight = item.get("weight", 1)
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise ConversationFileError(f"{where}: 'weight' must be a positive integer")
        raw_steps = item.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise ConversationFileError(f"{where}: 'steps' must be a non-empty list")
        if len(raw_steps) > MAX_STEPS:
            raise ConversationFileError(
                f"{where}: {len(raw_steps)} steps; at most {MAX_STEPS} (burst limit)")
        steps: list[Step] = []
        for j, raw in enumerate(raw_steps):
            at = f"{where}, step {j + 1}"
            if not isinstance(raw, dict) or set(raw) - {"say", "expect"}:
                raise ConversationFileError(f"{at}: only 'say' and 'expect' are allowed")
            say = raw.get("say")
            if not isinstance(say, str) or not say.strip():
                raise ConversationFileError(f"{at}: 'say' must be a non-empty text")
            expect = raw.get("expect", [])
            if isinstance(expect, str):
                expect = [expect]
            if not isinstance(expect, list) or not all(
                    isinstance(e, str) and e for e in expect):
                raise ConversationFileError(f"{at}: 'expect' must be a list of texts")
            steps.append(Step(say, tuple(expect)))
        result.append(Conversation(name, weight, tuple(steps)))
    return result


def load_conversations(path: Path = CONVERSATIONS_FILE) -> list[Conversation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_conversations(data, source=path.name)


def domain_text(key: str, domain_dir: Path = DOMAIN_DIR) -> str:
    """The first text of a response in the domain (e.g. the guard's `utter_safe_error`)."""
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        variants = (data.get("responses") or {}).get(key)
        if variants:
            return str(variants[0]["text"])
    raise KeyError(key)


def reply_texts(body: bytes) -> list[str] | None:
    """The texts of a REST reply (a JSON list of messages), or None if it is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, list):
        return None
    return [str(m.get("text") or "") for m in data if isinstance(m, dict)]


@dataclass(frozen=True)
class ReplyClassifier:
    """Kind of one reply: `ok`, `safe` (the guard's safe reply), `too_fast` (burst limit),
    `unexpected` (an answer without what the step expects) or `error` (HTTP error or not
    a JSON list)."""

    safe_reply: str
    too_fast: str

    @classmethod
    def from_domain(cls, domain_dir: Path = DOMAIN_DIR) -> ReplyClassifier:
        return cls(domain_text("utter_safe_error", domain_dir),
                   domain_text("utter_error_too_fast", domain_dir))

    def __call__(self, status: int, texts: list[str] | None, step: Step) -> str:
        if status != 200 or texts is None:
            return "error"
        joined = "\n".join(texts)
        if self.safe_reply in joined:
            return "safe"
        if self.too_fast in joined:
            return "too_fast"
        return "ok" if step.matches(joined) else "unexpected"
