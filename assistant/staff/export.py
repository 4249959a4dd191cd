"""Selected user messages as a Rasa NLU YAML file, for annotation.

Each message goes under the intent the assistant predicted, as a starting point: staff
correct the intent and then move the examples into `data/nlu/<emne>.yml`. For a message the
assistant did not understand (`nlu_fallback`) the classifier's best real intent is used,
in a group of its own marked "forstod ikke". Button and widget messages (`/intent{…}`) are
not exported: nobody typed them. The texts are already redacted by the tracker store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from assistant.staff.conversations import TZ, UserMessage

FALLBACK_GROUP_INTENT = "out_of_scope"  # only when a fallback message has no ranking at all
# "[...]" followed by "(", "{" or "[" would be read as an entity annotation by Rasa.
_ENTITY_LIKE = re.compile(r"\](?=[({\[])")


@dataclass
class Export:
    text: str
    examples: int
    skipped: int  # button/widget messages, empty or duplicate texts


def clean_text(text: str) -> str:
    """One line, no entity-like brackets, no leading "- "."""
    line = " ".join(text.split())
    line = _ENTITY_LIKE.sub("] ", line)
    return line


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}".replace(".", ",")


def _count(n: int) -> str:
    return f"{n} besked" if n == 1 else f"{n} beskeder"


def build_export(messages: Iterable[UserMessage], now: datetime | None = None,
                 source: str = "assistant review") -> Export:
    groups: dict[tuple[str, bool], list[tuple[str, float | None]]] = {}
    seen: set[str] = set()
    skipped = 0
    for message in messages:
        text = clean_text(message.text)
        key = text.casefold()
        if message.is_payload or not text or key in seen:
            skipped += 1
            continue
        seen.add(key)
        intent = message.best_guess or FALLBACK_GROUP_INTENT
        groups.setdefault((intent, message.is_fallback), []).append(
            (text, message.guess_confidence))
    stamp = (now or datetime.now(TZ)).strftime("%Y-%m-%d %H:%M")
    lines = [
        'version: "3.1"',
        "",
        f"# {_count(sum(len(v) for v in groups.values()))} fra samtaler med borgere, "
        f"eksporteret {stamp} ({source}).",
        "# Intent er assistentens eget gæt – et udgangspunkt. Ret intent (eller slet",
        "# eksemplet), og flyt eksemplerne til den rigtige fil i data/nlu/. Teksterne er",
        "# allerede renset for personoplysninger ([CPR], [telefon], [e-mail], [adresse]).",
        "nlu:",
    ]
    for (intent, fallback), examples in sorted(groups.items(), key=lambda kv: kv[0]):
        confidences = ", ".join(_number(c) for _, c in examples)
        if fallback:
            lines.append(f"  # Forstod ikke (nlu_fallback). Bedste gæt: {intent} "
                         f"(sikkerhed {confidences}).")
        else:
            lines.append(f"  # Forstået som {intent} (sikkerhed {confidences}).")
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        lines += [f"      - {text}" for text, _ in examples]
    if not groups:
        lines[-1] = "nlu: []"
    return Export("\n".join(lines) + "\n", sum(len(v) for v in groups.values()), skipped)
