"""BM25 retrieval over Danish lemmas, spelling-folded so "okonomi" finds "økonomi".

The corpus is small (a few hundred passages), so the index lives in memory and is built
once per knowledge-base snapshot.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.text import fold, lemma, words

K1 = 1.4
B = 0.75


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.da.stop_words import STOP_WORDS

    extra = {"kommune", "kommunen", "hjælp", "hjaelp", "kan", "få", "hvad", "hvor", "hvordan",
             "gør", "gøre", "tilbud", "tilbyder", "nogen", "noget", "mig", "jeg"}
    return frozenset(fold(w) for w in STOP_WORDS | extra)


@lru_cache(maxsize=20000)
def _term(word: str) -> str:
    return fold(lemma(word))


def analyse(text: str) -> list[str]:
    """Lemmatise, fold and drop stop words. Long compounds also add their 6-letter head."""
    stop = _stop_words()
    terms: list[str] = []
    for word in words(text):
        term = _term(word)
        if term in stop or len(term) < 2:
            continue
        terms.append(term)
        if len(term) >= 10:  # Danish compounds: "gældsrådgivning" also counts as "gaelds"
            terms.append(term[:6] + "*")
    return terms


@dataclass(frozen=True)
class Passage:
    kind: str  # "statement" | "service" | "law"
    id: str
    title: str
    text: str
    topics: tuple[str, ...]
    municipality: str | None  # None for national services and laws
    citation: str
    boost_text: str = ""  # topic names and keywords, indexed but not shown


@dataclass(frozen=True)
class SearchHit:
    passage: Passage
    score: float


class BM25Index:
    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self._docs: list[Counter[str]] = []
        self._lengths: list[int] = []
        df: Counter[str] = Counter()
        for p in self.passages:
            terms = analyse(f"{p.title} {p.title} {p.text} {p.boost_text}")
            counts = Counter(terms)
            self._docs.append(counts)
            self._lengths.append(len(terms))
            df.update(counts.keys())
        n = max(len(self.passages), 1)
        self._avg = (sum(self._lengths) / n) or 1.0
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def search(self, query: str, *, topics: Iterable[str] | None = None,
               municipality: str | None = None, kinds: Iterable[str] | None = None,
               k: int = 3) -> list[SearchHit]:
        """Rank passages for `query`. A municipality filter keeps national passages too."""
        q_terms = analyse(query)
        topic_set = set(topics or [])
        kind_set = set(kinds or [])
        hits: list[SearchHit] = []
        for i, p in enumerate(self.passages):
            if topic_set and not topic_set.intersection(p.topics):
                continue
            if kind_set and p.kind not in kind_set:
                continue
            if municipality and p.municipality not in (None, municipality):
                continue
            score = self._score(q_terms, i)
            if score > 0:
                hits.append(SearchHit(p, score))
        hits.sort(key=lambda h: (-h.score, h.passage.id))
        return hits[:k]

    def _score(self, q_terms: list[str], i: int) -> float:
        doc, length = self._docs[i], self._lengths[i]
        score = 0.0
        for term in q_terms:
            tf = doc.get(term)
            if not tf:
                continue
            norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self._avg))
            score += self._idf.get(term, 0.0) * norm
        return score
