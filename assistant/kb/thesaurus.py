"""The search thesaurus: staff-edited groups of words and phrases that mean the same
(`data/knowledge/synonyms.yml`), found in a text as concepts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.kb.analysis import lemma_term, stop_words, token_variants
from assistant.text import fold, words

MAX_GAP = 2  # words allowed between the words of a thesaurus phrase


@dataclass(frozen=True)
class SynonymGroup:
    """One concept of the thesaurus: words and phrases that mean the same, plus the topics
    a question using them is probably about."""

    id: str
    words: tuple[str, ...]
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Pattern:
    group: int
    tokens: tuple[tuple[str, bool], ...]  # (folded lemma or prefix, is_prefix)


def _compile(word: str) -> tuple[tuple[str, bool], ...]:
    out = []
    for raw in word.lower().split():
        prefix = raw.endswith("*")
        ws = words(raw)
        if not ws:
            continue
        for w in ws[:-1]:
            out.append((lemma_term(w), False))
        last = ws[-1]
        out.append((fold(last), True) if prefix else (lemma_term(last), False))
    return tuple(out)


def _token_matches(token: tuple[str, bool], variants: frozenset[str]) -> bool:
    value, prefix = token
    if prefix:
        return any(v.startswith(value) for v in variants)
    return value in variants


class Thesaurus:
    """Compiled synonym groups: which concepts does a text mention, and how often."""

    def __init__(self, groups: Sequence[SynonymGroup]) -> None:
        self.groups = list(groups)
        self._by_first: dict[str, list[_Pattern]] = defaultdict(list)
        self._by_prefix: list[_Pattern] = []
        stop = stop_words()
        for gi, group in enumerate(self.groups):
            for word in group.words:
                tokens = _compile(word)
                if not tokens or (len(tokens) == 1 and tokens[0][0] in stop):
                    continue  # a lone stop word would match nearly every question
                pattern = _Pattern(gi, tokens)
                value, prefix = tokens[0]
                if prefix:
                    self._by_prefix.append(pattern)
                else:
                    self._by_first[value].append(pattern)

    def __len__(self) -> int:
        return len(self.groups)

    def concepts(self, text: str) -> Counter[int]:
        """Group index -> number of places in `text` where one of its words occurs."""
        tokens = token_variants(text)
        found: Counter[int] = Counter()
        if not self.groups:
            return found
        for start, variants in enumerate(tokens):
            candidates = [p for v in variants for p in self._by_first.get(v, ())]
            candidates += [p for p in self._by_prefix if _token_matches(p.tokens[0], variants)]
            hit_groups = set()
            for pattern in candidates:
                if pattern.group in hit_groups:
                    continue
                if self._rest_matches(pattern.tokens, tokens, start):
                    hit_groups.add(pattern.group)
            for gi in hit_groups:
                found[gi] += 1
        return found

    @staticmethod
    def _rest_matches(pattern: tuple[tuple[str, bool], ...], tokens: list[frozenset[str]],
                      start: int) -> bool:
        pos = start
        for token in pattern[1:]:
            for nxt in range(pos + 1, min(pos + 2 + MAX_GAP, len(tokens))):
                if _token_matches(token, tokens[nxt]):
                    pos = nxt
                    break
            else:
                return False
        return True

    def topics(self, concepts: Counter[int]) -> dict[str, float]:
        """Topic -> share of the query's concepts that point to it (0..1)."""
        counts: Counter[str] = Counter()
        n = 0
        for gi in concepts:
            if self.groups[gi].topics:
                n += 1
                counts.update(set(self.groups[gi].topics))
        return {t: c / n for t, c in counts.items()} if n else {}
