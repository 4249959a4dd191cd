"""Messages that name a municipality *and* ask for something are not `inform_municipality`.

The classifier learns `inform_municipality` from short replies such as "jeg bor i Randers".
A message like "AA møder i Herning" shares the municipality name with those replies and can
be pulled towards them, although the person asks about addiction. The resolver checks what is
left of the message once the municipality names are cut out: if a word remains that no
`inform_municipality` training example uses, the message says more than where the person
lives, and the classifier's best other intent is used instead – when it has some confidence
(``min_confidence``). The vocabulary comes from the training data at training time.

Measured on the held-out sets v1–v7 (2026-12-03, docs/nlu.md): 15 messages corrected, none
broken, with ``min_confidence`` 0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.text import fold

INFORM = "inform_municipality"
FALLBACK = "nlu_fallback"
DEFAULT_MIN_CONFIDENCE = 0.1


def words(text: str) -> list[str]:
    """Lower-case words with æ/ø/å spellings folded."""
    return re.findall(r"\w+", fold(text.lower()))


def without_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text with each (start, end) span replaced by a space."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def inform_vocabulary(examples: Iterable[tuple[str, Sequence[tuple[int, int]]]]) -> set[str]:
    """Words of the `inform_municipality` examples, municipality names cut out."""
    vocabulary: set[str] = set()
    for text, spans in examples:
        vocabulary.update(words(without_spans(text, spans)))
    return vocabulary


def extra_words(text: str, spans: Iterable[tuple[int, int]], vocabulary: set[str]) -> list[str]:
    """Words that no `inform_municipality` example uses (numbers do not count)."""
    return [w for w in words(without_spans(text, spans))
            if w not in vocabulary and not w.isdigit()]


def resolve(text: str, spans: Sequence[tuple[int, int]], ranking: Sequence[dict],
            vocabulary: set[str], min_confidence: float = DEFAULT_MIN_CONFIDENCE
            ) -> dict | None:
    """The ranking entry to use instead of `inform_municipality`, or None to keep it."""
    if not ranking or ranking[0].get("name") != INFORM or not vocabulary:
        return None
    if not extra_words(text, spans, vocabulary):
        return None
    for entry in ranking[1:]:
        if entry.get("name") in (INFORM, FALLBACK):
            continue
        if (entry.get("confidence") or 0.0) >= min_confidence:
            return entry
        return None
    return None
