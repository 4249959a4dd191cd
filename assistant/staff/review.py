"""Conversations as plain Danish text for the terminal (`assistant review`)."""

from __future__ import annotations

import textwrap

from assistant.staff.conversations import (
    FLAGS,
    NOT_GIVEN,
    Conversation,
    Filters,
    local,
    payload_label,
)
from assistant.staff.stats import municipality_label

BOT_WIDTH = 110


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def describe_filters(filters: Filters, topics: dict[str, str]) -> str:
    parts = []
    if filters.since or filters.until:
        parts.append(f"{filters.since or '…'} – {filters.until or '…'}")
    if filters.topic:
        parts.append(f"emne: {topics.get(filters.topic, filters.topic)}")
    if filters.municipality:
        parts.append("kommune: " + municipality_label(
            NOT_GIVEN if filters.municipality.casefold() == NOT_GIVEN else filters.municipality))
    if filters.flags:
        parts.append("med: " + " eller ".join(FLAGS[f] for f in sorted(filters.flags)))
    return "; ".join(parts) if parts else "alle gemte samtaler"


def summary_line(found: list[Conversation], filters: Filters, topics: dict[str, str]) -> str:
    if not found:
        return f"Ingen samtaler ({describe_filters(filters, topics)})."
    return (f"{len(found)} samtale{'r' if len(found) != 1 else ''} "
            f"({describe_filters(filters, topics)}), nyeste først. "
            "#tal er beskedens id (til --export-ids).")


def format_conversation(c: Conversation, topics: dict[str, str], full: bool = False) -> str:
    flags = ", ".join(FLAGS[f] for f in FLAGS if f in c.flags) or "ingen"
    lines = [
        f"=== {local(c.started).strftime('%d.%m.%Y %H:%M')}  samtale {c.short_id}",
        f"    Kommune: {municipality_label(c.municipality or NOT_GIVEN)} · Emner: "
        f"{', '.join(topics.get(t, t) for t in c.topics) or 'intet'} · Markeringer: {flags}",
    ]
    for turn in c.turns:
        if turn.kind == "user" and turn.message is not None:
            m = turn.message
            if m.is_payload:
                lines.append(f"    Borger valgte: {payload_label(m.text, m.feedback)}")
                continue
            marks = " ".join(f"[{label}]" for flag, label in FLAGS.items() if flag in m.flags)
            lines.append(f"  #{m.event_id:<6} Borger: {m.text}")
            lines.append(f"           → {m.intent or '–'} ({_number(m.confidence)}) {marks}"
                         .rstrip())
        elif turn.kind == "bot":
            text = " ".join(turn.text.split())
            if not full:
                text = textwrap.shorten(text, BOT_WIDTH, placeholder=" …")
            lines.append(f"    Vejleder: {text}")
        elif turn.kind == "fallback":
            lines.append(f"    (fallback: {turn.text})")
    return "\n".join(lines)
