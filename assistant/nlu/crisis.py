"""The crisis pattern layer: reviewed Danish phrases that force a crisis intent.

Patterns live in `data/safety/crisis_patterns.yml` so they can be reviewed and tested as
data. Both text and patterns are lower-cased with æ/ø/å spellings folded, so "slår mig",
"slaar mig" and "slar mig" match alike.

Typed doubled letters ("vill", "selvmmord", "slåår") are caught by a second pass in which
runs of one letter are squeezed to one, in the message and in the patterns alike.

The optional `shouted:` section lists patterns that count as an emergency only when the
message is typed in capitals ("HJÆLP" is a cry; a lone "hjælp" asks what the assistant can do).

The optional `words:` section names reusable word lists (people, violence verbs ...). A
pattern or another list refers to one as `{name}`, which becomes `(?:word1|word2|...)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.config import PROJECT_ROOT
from assistant.text import fold

PATTERNS_FILE = PROJECT_ROOT / "data" / "safety" / "crisis_patterns.yml"
CRISIS_INTENTS = ("emergency", "suicidal_crisis")


@dataclass(frozen=True)
class CrisisHit:
    intent: str
    pattern_id: str


class CrisisPatternError(ValueError):
    """A pattern file entry is malformed; the message names the entry and field."""


_WORD_REF = re.compile(r"\{([a-z_]+)\}")


def _word_lists(raw: object, source: str) -> dict[str, str]:
    """Expand the `words:` section into named regex alternations (lists may use each other)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CrisisPatternError(f"{source}: 'words' skal være en liste af navne")
    lists: dict[str, str] = {}
    for name, items in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_]+", name):
            raise CrisisPatternError(f"{source}: words[{name}]: navn skal være a-z og _")
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not items or not all(
                isinstance(item, str) for item in items):
            raise CrisisPatternError(
                f"{source}: words[{name}]: skal være en liste af ord (sæt 'ja'/'nej' i '')")
        body = "|".join(_expand(str(item), lists, f"{source}: words[{name}]") for item in items)
        lists[name] = f"(?:{body})"
    return lists


def _expand(source: str, lists: dict[str, str], where: str) -> str:
    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lists:
            raise CrisisPatternError(f"{where}: ukendt ordliste {{{name}}}")
        return lists[name]

    return _WORD_REF.sub(lookup, source)


_LETTER_RUN = re.compile(r"([a-z])\1+")


def _squeeze_text(text: str) -> str:
    """Collapse runs of one letter: "vill dø" -> "vil dø" (for the typo pass)."""
    return _LETTER_RUN.sub(r"\1", text)


def _squeeze_regex(source: str) -> str:
    """Collapse doubled literal letters in a regex, leaving escapes such as \\bb alone."""
    out: list[str] = []
    previous = ""
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            out.append(source[i:i + 2])
            previous = ""
            i += 2
            continue
        if not (char.isalpha() and char == previous):
            out.append(char)
        previous = char if char.isalpha() else ""
        i += 1
    return "".join(out)


def _compile(source: str, where: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The pattern as written and its squeezed twin for the doubled-letter pass."""
    folded = fold(source)
    try:
        return re.compile(folded), re.compile(_squeeze_regex(folded))
    except re.error as err:
        raise CrisisPatternError(f"{where}: regex: {err}") from err


def _compile_section(spec: dict, name: str, lists: dict[str, str], source: str
                     ) -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """The patterns of a top-level list section (`unless`, `shouted`, `not_acute`)."""
    return [_compile(_expand(p, lists, f"{source}: {name}[{i}]"), f"{source}: {name}[{i}]")
            for i, p in enumerate(spec.get(name) or [])]


def _normalise(text: str) -> str:
    return fold(" ".join(text.split()))


class CrisisDetector:
    def __init__(self, spec: dict, source: str = "crisis_patterns.yml") -> None:
        if not isinstance(spec, dict) or not isinstance(spec.get("patterns"), dict):
            raise CrisisPatternError(f"{source}: 'patterns' mangler")
        lists = _word_lists(spec.get("words"), source)
        self._unless = _compile_section(spec, "unless", lists, source)
        self._patterns: list[tuple[str, str, tuple[re.Pattern[str], re.Pattern[str]]]] = []
        # Emergencies are checked first: acute danger outranks everything.
        for intent in CRISIS_INTENTS:
            entries = spec["patterns"].get(intent) or []
            if not isinstance(entries, list):
                raise CrisisPatternError(f"{source}: {intent}: skal være en liste af mønstre")
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    raise CrisisPatternError(f"{source}: {intent}[{i}]: skal have id og regex")
                where = f"{source}: {intent}[{entry.get('id', i)}]"
                if not entry.get("id") or not isinstance(entry.get("regex"), str) \
                        or not entry["regex"].strip():
                    raise CrisisPatternError(f"{where}: id og regex (tekst) skal udfyldes")
                regex = _compile(_expand(entry["regex"], lists, where), where)
                self._patterns.append((intent, entry["id"], regex))
        self._shouted = _compile_section(spec, "shouted", lists, source)
        self._not_acute = _compile_section(spec, "not_acute", lists, source)
        unknown = set(spec["patterns"]) - set(CRISIS_INTENTS)
        if unknown:
            raise CrisisPatternError(f"{source}: ukendt intent {sorted(unknown)}")

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE) -> CrisisDetector:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)

    def detect(self, text: str) -> CrisisHit | None:
        folded = _normalise(text)
        if _is_shouted(text) and any(p[0].search(folded) for p in self._shouted):
            return CrisisHit("emergency", "shouted")
        hit = self._match(folded, 0)
        if hit is None:
            squeezed = _squeeze_text(folded)
            if squeezed != folded:
                hit = self._match(squeezed, 1)
        return hit

    def false_friend(self, text: str) -> bool:
        """Whether the message holds a reviewed non-crisis phrase (an `unless` entry):
        "slå græsset", "dør af grin", a course about suicide prevention ..."""
        folded = _normalise(text)
        variants = [(folded, 0), (_squeeze_text(folded), 1)]
        return any(pattern[variant].search(t) for t, variant in variants
                   for pattern in self._unless)

    def not_acute(self, text: str) -> bool:
        """Whether the message says the danger is not now (a `not_acute` entry): "flere
        gange om ugen", "sidste år", with no "lige nu"."""
        folded = _normalise(text)
        return any(pattern[0].search(folded) for pattern in self._not_acute)

    def _match(self, folded: str, variant: int) -> CrisisHit | None:
        for pattern in self._unless:
            folded = pattern[variant].sub(" ", folded)
        for intent, pattern_id, regex in self._patterns:
            if regex[variant].search(folded):
                return CrisisHit(intent, pattern_id)
        return None


def _is_shouted(text: str) -> bool:
    """Typed in capitals: at least four letters and no lower-case one."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


@lru_cache(maxsize=1)
def default_detector() -> CrisisDetector:
    return CrisisDetector.from_file()
