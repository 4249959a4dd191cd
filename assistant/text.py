"""Danish text helpers: folding æ/ø/å spellings and a lemma lookup built on spaCy's data."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD_TABLE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe",
                             "ä": "ae"})
_DOUBLES = (("aa", "a"), ("oe", "o"), ("ae", "a"))
WORD_RE = re.compile(r"[0-9a-zæøåéüöä]+(?:-[0-9a-zæøåéüöä]+)*", re.IGNORECASE)


def fold(text: str) -> str:
    """Map a Danish word to a spelling-insensitive skeleton.

    "Sønderborg", "soenderborg" and "sonderborg" all fold to "sonderborg"; "Århus" and
    "Aarhus" to "arhus". Used for matching only, never shown to anyone.
    """
    text = unicodedata.normalize("NFC", text.lower()).translate(_FOLD_TABLE)
    for double, single in _DOUBLES:
        text = text.replace(double, single)
    return text


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


@lru_cache(maxsize=1)
def lemma_table() -> dict[str, str]:
    """Danish lemma lookup table from spacy-lookups-data (word form -> lemma)."""
    from importlib.resources import files

    import spacy_lookups_data
    import srsly

    path = files(spacy_lookups_data) / "data" / "da_lemma_lookup.json.gz"
    return dict(srsly.read_gzip_json(str(path)))


@lru_cache(maxsize=1)
def danish_wordlist() -> frozenset[str]:
    """Folded Danish word forms, to keep fuzzy matching away from ordinary words."""
    return frozenset(fold(w) for w in lemma_table())


def lemma(word: str) -> str:
    return lemma_table().get(word.lower(), word.lower())
