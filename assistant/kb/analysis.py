"""Text analysis for knowledge-base search: Danish words to folded lemma terms.

Words are lemmatised with the compact lemma table, folded so "okonomi" is "økonomi", cleared
of stop words (spaCy's Danish list plus the assistant's context words and light verbs), and
long compounds also count as their parts ("gældsrådgivning": "gæld" + "rådgivning"); "§ 85 a"
is the one paragraph number "85a".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

from assistant.text import fold, lemma_table, words

W_PART = 0.5  # a compound's parts, relative to the whole word
W_HEAD = 0.5  # the legacy 6-letter compound head ("galdsr*")

_LINKS = ("", "s", "e")  # Danish linking letters between compound parts


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(fold(w) for w in _spacy_danish_stop_words() | _EXTRA_STOP_WORDS)


# Words that carry no topic in a citizen's question, beyond spaCy's list: the assistant's
# own context ("kommunen", "hjælp", "tilbud"), possessives spaCy lacks ("sin", "sine"),
# fillers ("bare", "faktisk", "helt") and light verbs whose meaning lives in the phrase
# around them ("tage", "gå", "slå", "stå": "slår ikke til", "går ned", "tag over
# hovedet"). They still count inside thesaurus phrases ("slår mig"), just not on their own.
_EXTRA_STOP_WORDS = frozenset({
    "kommune", "kommunen", "hjælp", "hjaelp", "kan", "få", "hvad", "hvor", "hvordan",
    "gør", "gøre", "tilbud", "tilbyder", "nogen", "noget", "mig", "jeg", "hjælpe", "gerne",
    "findes",
    "sin", "sit", "sine", "helt", "hele", "ude", "inde", "bare", "altså", "egentlig",
    "faktisk", "rigtig", "rigtigt", "virkelig", "snart", "slet", "okay", "hej", "tak",
    "ting", "tage", "tager", "taget", "tag", "gå", "går", "gik", "gået",
    "slå", "slår", "slog", "slået", "stå", "står", "stod", "par",
})


def _spacy_danish_stop_words() -> set[str]:
    """spaCy's Danish stop-word list, read without importing spaCy (which pulls in
    TensorFlow and takes seconds)."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec("spacy")
        assert spec is not None and spec.submodule_search_locations
        path = (Path(next(iter(spec.submodule_search_locations)))
                / "lang" / "da" / "stop_words.py")
        namespace: dict[str, object] = {}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
        return set(namespace["STOP_WORDS"])  # type: ignore[arg-type]
    except Exception:  # pragma: no cover - a spaCy whose layout changed
        from spacy.lang.da.stop_words import STOP_WORDS

        return set(STOP_WORDS)


_FOLD_STEPS = (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), ("ü", "u"), ("ö", "oe"),
               ("ä", "ae"), ("aa", "a"), ("oe", "o"), ("ae", "a"))


def _fold_many(items: Iterable[str]) -> list[str]:
    """`fold` over many words at once (same result, a fraction of the time)."""
    text = unicodedata.normalize("NFC", "\n".join(items).lower())
    for old, new in _FOLD_STEPS:
        text = text.replace(old, new)
    return text.split("\n")


@lru_cache(maxsize=1)
def _folded_lemmas() -> tuple[dict[str, str], frozenset[str]]:
    """Folded word form -> folded lemma, for words typed without æ/ø/å ("slaaet", "foler").

    When several forms fold alike, the lemma most of them share wins (ties: alphabetical).
    Also returns the set of folded lemmas, the known stems for compound splitting.
    """
    table = lemma_table()
    forms = _fold_many(table)
    lemmas = _fold_many(table.values())
    mapping = dict(zip(forms, lemmas, strict=True))
    shared = {form for form, n in Counter(forms).items() if n > 1}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for form, lem in zip(forms, lemmas, strict=True):
        if form in shared:
            votes[form][lem] += 1
    for form, counts in votes.items():
        mapping[form] = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return mapping, frozenset(lemmas)


# "§ 85 a", "§85a" and "85 a" are one paragraph number, "85a", kept apart from "§ 85".
_PARAGRAPH_RE = re.compile(r"(?<![0-9a-zæøå])(\d{1,3}) ?([a-h])(?![0-9a-zæøå])", re.IGNORECASE)




def search_words(text: str) -> list[str]:
    """`words`, with paragraph letters joined to their number ("§ 85 a" -> "85a")."""
    if any(c.isdigit() for c in text):
        text = _PARAGRAPH_RE.sub(r"\1\2", text)
    return words(text)


@lru_cache(maxsize=50000)
def lemma_term(word: str) -> str:
    """Folded lemma of one lower-case word."""
    table = lemma_table()
    found = table.get(word)
    if found is not None:
        return fold(found)
    folded = fold(word)
    return _folded_lemmas()[0].get(folded, folded)


@lru_cache(maxsize=50000)
def compound_parts(term: str) -> tuple[str, ...]:
    """Split a folded compound into (head, tail) lemmas, or () when it is not one.

    The tail is the longest known word (≥ 4 letters) whose remaining head is a known lemma
    (≥ 3 letters), possibly joined by a linking "s" or "e": "galdsradgivning" -> ("gald",
    "radgivning"), "fokusomrader" -> ("fokus", "omrade").
    """
    if len(term) < 8 or not term.isalpha():
        return ()
    forms, lemmas = _folded_lemmas()
    for cut in range(3, len(term) - 3):
        tail = term[cut:]
        if tail not in forms:
            continue
        head = term[:cut]
        for link in _LINKS:
            if not head.endswith(link):
                continue
            stem = head[: len(head) - len(link)]
            for candidate in (stem, stem + "e"):
                if len(candidate) >= 3 and candidate in lemmas and candidate not in stop_words():
                    return (candidate, forms[tail])
    return ()


def analyse(text: str) -> list[str]:
    """Lemmatise, fold and drop stop words. Long compounds also add their 6-letter head."""
    stop = stop_words()
    terms: list[str] = []
    for word in search_words(text):
        if fold(word) in stop:
            continue
        term = lemma_term(word)
        if term in stop or len(term) < 2:
            continue
        terms.append(term)
        if len(term) >= 10:  # Danish compounds: "gældsrådgivning" also counts as "gaelds"
            terms.append(term[:6] + "*")
    return terms


def weighted_terms(text: str, weight: float, out: Counter[str]) -> None:
    """Add `text`'s terms to `out`: whole words at `weight`, compound parts and heads lower."""
    for term in analyse(text):
        if term.endswith("*"):
            out[term] += weight * W_HEAD
            continue
        out[term] += weight
        for part in compound_parts(term):
            if part != term and part not in stop_words():
                out[part] += weight * W_PART


# First-person possessives are one word for the thesaurus: "vores søn" is "min søn", "mine
# forældre" and "vores forældre" the same parents.
_POSSESSIVES = frozenset({"min", "mit", "mine", "vores", "vor", "vort", "vore"})


def token_variants(text: str) -> list[frozenset[str]]:
    """Every word of `text` (stop words included) as its set of spellings: folded lemma,
    folded surface form and, for compounds, the parts (a first-person possessive: all of
    them)."""
    out = []
    for word in search_words(text):
        term = lemma_term(word)
        folded = fold(word)
        if folded in _POSSESSIVES:
            out.append(_POSSESSIVES)
            continue
        variants = {term, folded, *compound_parts(term)}
        out.append(frozenset(variants))
    return out
