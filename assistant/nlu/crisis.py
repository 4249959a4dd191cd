"""The crisis pattern layer: reviewed Danish phrases that force a crisis intent.

Patterns live in `data/safety/crisis_patterns.yml` so they can be reviewed and tested as
data. Both text and patterns are lower-cased with æ/ø/å spellings folded, so "slår mig",
"slaar mig" and "slar mig" match alike.

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


def _compile(source: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(fold(source))
    except re.error as err:
        raise CrisisPatternError(f"{where}: regex: {err}") from err


class CrisisDetector:
    def __init__(self, spec: dict, source: str = "crisis_patterns.yml") -> None:
        if not isinstance(spec, dict) or not isinstance(spec.get("patterns"), dict):
            raise CrisisPatternError(f"{source}: 'patterns' mangler")
        lists = _word_lists(spec.get("words"), source)
        self._unless = [_compile(_expand(p, lists, f"{source}: unless[{i}]"),
                                 f"{source}: unless[{i}]")
                        for i, p in enumerate(spec.get("unless") or [])]
        self._patterns: list[tuple[str, str, re.Pattern[str]]] = []
        # Emergencies are checked first: acute danger outranks everything.
        for intent in CRISIS_INTENTS:
            for i, entry in enumerate(spec["patterns"].get(intent) or []):
                where = f"{source}: {intent}[{entry.get('id', i)}]"
                if not entry.get("id") or not entry.get("regex"):
                    raise CrisisPatternError(f"{where}: id og regex skal udfyldes")
                regex = _compile(_expand(entry["regex"], lists, where), where)
                self._patterns.append((intent, entry["id"], regex))
        unknown = set(spec["patterns"]) - set(CRISIS_INTENTS)
        if unknown:
            raise CrisisPatternError(f"{source}: ukendt intent {sorted(unknown)}")

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE) -> CrisisDetector:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)

    def detect(self, text: str) -> CrisisHit | None:
        folded = fold(" ".join(text.split()))
        for pattern in self._unless:
            folded = pattern.sub(" ", folded)
        for intent, pattern_id, regex in self._patterns:
            if regex.search(folded):
                return CrisisHit(intent, pattern_id)
        return None


@lru_cache(maxsize=1)
def default_detector() -> CrisisDetector:
    return CrisisDetector.from_file()
