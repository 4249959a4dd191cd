"""Recognise and normalise the 98 Danish municipality names in free text.

Exact matches cover official names, "X Kommune", spellings without æ/ø/å and extra
aliases from the knowledge base. Misspellings are caught by fuzzy matching (rapidfuzz),
which is kept away from ordinary Danish words by the lemma word list (only the few words
near a municipality name are kept, cached under var/cache/, so a server does not hold the
550,000-word list in memory); names that are themselves ordinary words ("Vejen", "Odder",
"Skive", "Greve", "Køge"/"koge") only count with a clear municipal context.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from assistant.config import PROJECT_ROOT
from assistant.text import danish_wordlist, fold

MUNICIPALITIES_FILE = PROJECT_ROOT / "data" / "knowledge" / "municipalities.yml"
CACHE_DIR = PROJECT_ROOT / "var" / "cache"
FUZZY_MIN_LENGTH = 5
SUGGEST_THRESHOLD = 70.0
# Municipality names that are also ordinary Danish words (checked against the lemma list
# and by hand). They only count as a municipality with a clear context: "Kommune" after
# them, "bor i"/"fra" before a capitalised name, or a reply that is just the name.
AMBIGUOUS_NAMES = {
    "vejen",  # "i vejen" = in the way
    "odder",  # otter
    "skive",  # slice
    "greve",  # count (nobleman)
    "lejre",  # camps
    "koge",  # "koge" = to boil (Køge without ø)
    "varde",  # cairn
    "brande",  # fires
}
_TOKEN_RE = re.compile(r"[0-9A-Za-zÆØÅæøåÉéÜüÖöÄä]+(?:-[0-9A-Za-zÆØÅæøåÉéÜüÖöÄä]+)*")
_CONTEXT_BEFORE = {"bor", "fra", "kommune", "kommunen"}
_PLACE_BEFORE = {"i", "fra", "pa", "bor", "kommune", "kommunen"}
_SUFFIXES = ("kommune", "kommunen", "regionskommune", "kommunes")


@dataclass(frozen=True)
class Match:
    value: str  # short official name, e.g. "Høje-Taastrup"
    start: int
    end: int
    text: str
    score: float  # 100 for an exact match


def _key(text: str) -> str:
    return fold(text).replace("-", "").replace(" ", "").replace(".", "")


class MunicipalityMatcher:
    """Finds municipality names in text. Build once; matching is cheap."""

    def __init__(self, entries: Iterable[dict],
                 ordinary_words: frozenset[str] | None = None) -> None:
        """`ordinary_words`: folded Danish words that are never a misspelt municipality
        (default: those of the lemma list within fuzzy reach of a name, see
        :func:`ordinary_neighbours`)."""
        self.names: list[str] = []
        self.official: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        for entry in entries:
            name = entry["name"]
            self.names.append(name)
            self.official[name] = entry.get("official_name", f"{name} Kommune")
            forms = {name, entry.get("official_name", ""), *entry.get("aliases", [])}
            for form in filter(None, forms):
                self._exact[_key(form)] = name
        self.ambiguous = {key for key in self._exact if key in AMBIGUOUS_NAMES}
        self._fuzzy_keys = [k for k in self._exact if k not in self.ambiguous]
        self._wordlist = (ordinary_neighbours(self._fuzzy_keys) if ordinary_words is None
                          else ordinary_words)
        self._max_tokens = max(len(_TOKEN_RE.findall(n)) for n in
                               [*self.names, *self.official.values()])

    @classmethod
    def from_file(cls, path: Path = MUNICIPALITIES_FILE) -> MunicipalityMatcher:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(data["municipalities"])

    def normalise(self, text: str) -> str | None:
        """Return the official short name if `text` is (a spelling of) a municipality."""
        cleaned = text.strip().strip(".!?,")
        key = _key(cleaned)
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and key != suffix:
                key = key[: -len(suffix)]
                break
        if key in self._exact:
            return self._exact[key]
        hit = self._fuzzy_one(key)
        if hit:
            return hit[0]
        found = self.find(text)
        return found[0].value if len({m.value for m in found}) == 1 else None

    def _fuzzy_one(self, key: str) -> tuple[str, float] | None:
        """One typo (two in long names), same first letter, never an ordinary word."""
        if len(key) < FUZZY_MIN_LENGTH or key in self._wordlist:
            return None
        name_key = _fuzzy_hit(key, [k for k in self._fuzzy_keys if k[0] == key[0]])
        if name_key is None:
            return None
        distance = OSA.distance(key, name_key)
        return self._exact[name_key], 100.0 * (1 - distance / max(len(key), len(name_key)))

    def find(self, text: str) -> list[Match]:
        """All municipality mentions in `text`, longest first, non-overlapping."""
        tokens = list(_TOKEN_RE.finditer(text))
        whole_message = len(tokens) <= 3
        found: list[Match] = []
        used: set[int] = set()
        for size in range(self._max_tokens, 0, -1):
            for i in range(len(tokens) - size + 1):
                span = range(i, i + size)
                if used.intersection(span):
                    continue
                start, end = tokens[i].start(), tokens[i + size - 1].end()
                surface = text[start:end]
                key = _key(surface)
                match = self._match_span(key, surface, tokens, i, size, whole_message)
                if match is None:
                    continue
                value, score = match
                # Swallow a following "Kommune" into the entity.
                nxt = i + size
                if nxt < len(tokens) and fold(tokens[nxt].group()) in _SUFFIXES:
                    end = tokens[nxt].end()
                    used.add(nxt)
                found.append(Match(value, start, end, text[start:end], score))
                used.update(span)
        return sorted(found, key=lambda m: m.start)

    def _match_span(self, key: str, surface: str, tokens: list[re.Match[str]], i: int,
                    size: int, whole_message: bool) -> tuple[str, float] | None:
        if key in self._exact:
            if key in self.ambiguous and not self._has_context(surface, tokens, i, size,
                                                               whole_message):
                return None
            return self._exact[key], 100.0
        if size > 1 and not any("-" in t.group() for t in tokens[i:i + size]):
            # Multi-word spans are only tried for names that really have several parts.
            joined = key
            if joined not in self._exact:
                return None
        if size == 1 and self._near_place_word(tokens, i, whole_message):
            return self._fuzzy_one(key)
        return None

    @staticmethod
    def _near_place_word(tokens: list[re.Match[str]], i: int, whole_message: bool) -> bool:
        """Fuzzy matches need a place context, so names like "Henning" stay people."""
        if whole_message:
            return True
        before = fold(tokens[i - 1].group()) if i > 0 else ""
        after = fold(tokens[i + 1].group()) if i + 1 < len(tokens) else ""
        return before in _PLACE_BEFORE or after in _SUFFIXES

    @staticmethod
    def _has_context(surface: str, tokens: list[re.Match[str]], i: int, size: int,
                     whole_message: bool) -> bool:
        after = fold(tokens[i + size].group()) if i + size < len(tokens) else ""
        before = fold(tokens[i - 1].group()) if i > 0 else ""
        before2 = fold(tokens[i - 2].group()) if i > 1 else ""
        if after in _SUFFIXES or before in {"kommune", "kommunen"}:
            return True
        if whole_message:
            return True
        if before == "i" and before2 == "bor":
            return True
        capitalised = surface[:1].isupper() and i > 0
        return capitalised and (before in _CONTEXT_BEFORE or before2 in _CONTEXT_BEFORE)

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Likely municipalities for an unrecognised reply, best first (for "Mente du …?")."""
        key = _key(text)
        if len(key) < 3:
            return []
        hits = process.extract(key, list(self._exact), scorer=fuzz.WRatio, limit=limit * 3,
                               score_cutoff=SUGGEST_THRESHOLD)
        names: list[str] = []
        for k, _score, _ in hits:
            name = self._exact[k]
            if name not in names:
                names.append(name)
        return names[:limit]


def _allowed_edits(key: str) -> int:
    return 1 if len(key) < 9 else 2


def _fuzzy_hit(key: str, candidates: Sequence[str]) -> str | None:
    allowed = _allowed_edits(key)
    near = [k for k in candidates if abs(len(k) - len(key)) <= allowed]
    best = process.extractOne(key, near, scorer=OSA.distance, score_cutoff=allowed)
    return None if best is None else best[0]


def neighbours_in(words: Iterable[str], keys: Sequence[str]) -> frozenset[str]:
    """The `words` (folded) that fuzzy matching would take for one of the name `keys`."""
    by_letter: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_letter[key[0]].append(key)
    return frozenset(
        w for w in words
        if len(w) >= FUZZY_MIN_LENGTH and w[0] in by_letter
        and _fuzzy_hit(w, by_letter[w[0]]) is not None
    )


def _fingerprint(keys: Sequence[str]) -> str:
    import spacy_lookups_data

    # Bump the rule tag when _fuzzy_hit's rule changes: the cached words depend on it.
    rule = "osa<=1, <=2 from 9 letters, same first letter"
    text = "\n".join([spacy_lookups_data.__version__, str(FUZZY_MIN_LENGTH), rule,
                      *sorted(keys)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def ordinary_neighbours(keys: Sequence[str], cache_dir: Path | None = None
                        ) -> frozenset[str]:
    """Words of the Danish lemma list within fuzzy reach of a municipality name.

    Only these can block a fuzzy match, so a process keeps a few hundred words instead of
    the whole list (about 190 MB). Computed once (a few seconds) and cached in
    `var/cache/` under a fingerprint of the names and the lemma data's version."""
    cache_dir = CACHE_DIR if cache_dir is None else cache_dir
    path = cache_dir / f"municipality-neighbours-{_fingerprint(keys)}.json"
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    found = neighbours_in(danish_wordlist(), keys)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sorted(found), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # read-only checkout: recomputed next time
    return found


@lru_cache(maxsize=1)
def default_matcher() -> MunicipalityMatcher:
    return MunicipalityMatcher.from_file()
