"""Municipality recognition: normalisation, ambiguous names, spans and false hits."""

from __future__ import annotations

import random

import pytest
from project_paths import KNOWLEDGE_DIR

from assistant.nlu.municipality import MunicipalityMatcher, default_matcher

MASSIVE_SAMPLE = 3000
MASSIVE_SEED = 20261123


@pytest.fixture(scope="module")
def matcher() -> MunicipalityMatcher:
    matcher = default_matcher()
    # "No match" cases below only mean something if the matcher finds real mentions.
    assert [m.value for m in matcher.find("jeg bor i Randers")] == ["Randers"]
    return matcher


@pytest.mark.parametrize("text, expected", [
    ("sonderborg", "Sønderborg"),
    ("soenderborg", "Sønderborg"),
    ("Sønderborg", "Sønderborg"),
    ("Sønderborg Kommune", "Sønderborg"),
    ("Sønderborg kommune", "Sønderborg"),
    ("sønderborg kommune.", "Sønderborg"),
    ("i sønderborg", "Sønderborg"),
    ("Hoeje Taastrup", "Høje-Taastrup"),
    ("Høje Taastrup", "Høje-Taastrup"),
    ("høje-taastrup", "Høje-Taastrup"),
    ("kbh", "København"),
    ("Kbh.", "København"),
    ("Københavns Kommune", "København"),
    ("Bornholms Regionskommune", "Bornholm"),
    ("Bornholm", "Bornholm"),
    ("Aarhus", "Aarhus"),
    ("Århus", "Aarhus"),
    ("arhus kommune", "Aarhus"),
    ("halsnæs", "Halsnæs"),
    ("Brønderslev", "Brønderslev"),
    ("Norddjurs Kommune", "Norddjurs"),
])
def test_normalise_exact_forms(matcher, text, expected):
    assert matcher.normalise(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("randres", "Randers"),
    ("brøndersleev", "Brønderslev"),
    ("bronderslv", "Brønderslev"),
    ("halsnes", "Halsnæs"),
    ("sønderbrog", "Sønderborg"),
    ("norddjus", "Norddjurs"),
])
def test_normalise_typos(matcher, text, expected):
    assert matcher.normalise(text) == expected


@pytest.mark.parametrize("text", ["Atlantis", "ved ikke", "hej", "kommune", "", "xyzzy"])
def test_normalise_rejects_non_municipalities(matcher, text):
    assert matcher.normalise(text) is None


def test_every_municipality_normalises_to_itself(matcher):
    import yaml

    entries = yaml.safe_load((KNOWLEDGE_DIR / "municipalities.yml").read_text(encoding="utf-8"))
    names = [m["name"] for m in entries["municipalities"]]
    assert len(names) == 98
    wrong = {n: matcher.normalise(n) for n in names if matcher.normalise(n) != n}
    assert not wrong
    wrong = {m["official_name"]: matcher.normalise(m["official_name"])
             for m in entries["municipalities"]
             if matcher.normalise(m["official_name"]) != m["name"]}
    assert not wrong


# --- ambiguous names ------------------------------------------------------------------


@pytest.mark.parametrize("sentence", [
    "er der noget i vejen",
    "der er noget i vejen med min computer",
    "jeg kan ikke koge mad",
    "jeg skal koge kartofler",
    "en odder i åen",
    "henning sender en mail",
    "vi skal greve noget",
    "skær en skive brød",
    "spejderne har to lejre i år",
    "det var en varde af sten på stranden",
])
def test_ambiguous_words_not_matched_in_ordinary_sentences(matcher, sentence):
    assert matcher.find(sentence) == []


@pytest.mark.parametrize("sentence, expected", [
    ("jeg bor i Vejen", "Vejen"),
    ("jeg bor i vejen", "Vejen"),
    ("Odder Kommune", "Odder"),
    ("hvad tilbyder Odder kommune", "Odder"),
    ("jeg er fra Skive", "Skive"),
    ("jeg bor i Køge", "Køge"),
    ("Vejen", "Vejen"),
    ("kommunen Greve", "Greve"),
])
def test_ambiguous_words_matched_with_context(matcher, sentence, expected):
    assert [m.value for m in matcher.find(sentence)] == [expected]


# --- spans ------------------------------------------------------------------------------


@pytest.mark.parametrize("sentence, expected, surface", [
    ("jeg bor i Sønderborg kommune og har brug for hjælp", "Sønderborg", "Sønderborg kommune"),
    ("hjælp i Høje-Taastrup tak", "Høje-Taastrup", "Høje-Taastrup"),
    ("jeg bor i Hoeje Taastrup", "Høje-Taastrup", "Hoeje Taastrup"),
    ("hvad siger Randers om bolig", "Randers", "Randers"),
    ("jeg bor i randres", "Randers", "randres"),
    ("Bornholms Regionskommune har jeg boet i", "Bornholm", "Bornholms Regionskommune"),
    ("jeg flytter fra kbh til Aarhus", "København", "kbh"),
])
def test_spans_point_at_the_right_substring(matcher, sentence, expected, surface):
    found = matcher.find(sentence)
    match = next(m for m in found if m.value == expected)
    assert sentence[match.start:match.end] == surface
    assert match.text == surface


def test_several_municipalities_in_order(matcher):
    sentence = "forskellen på Randers og Norddjurs Kommune"
    found = matcher.find(sentence)
    assert [m.value for m in found] == ["Randers", "Norddjurs"]
    assert [sentence[m.start:m.end] for m in found] == ["Randers", "Norddjurs Kommune"]
    assert found[0].end <= found[1].start


def test_exact_matches_score_100_and_typos_less(matcher):
    exact = matcher.find("jeg bor i Randers")
    typo = matcher.find("jeg bor i randres")
    assert [m.score for m in exact] == [100.0]
    assert len(typo) == 1 and typo[0].value == "Randers" and 0 < typo[0].score < 100


def test_fuzzy_needs_a_place_context(matcher):
    # "randres" alone in a long sentence without "i/fra/bor/kommune" is not a place.
    assert matcher.find("min ven randres skrev til mig i går om noget") == []
    assert [m.value for m in matcher.find("jeg bor i randres")] == ["Randers"]


def test_suggest(matcher):
    assert matcher.suggest("Randrs")[:1] == ["Randers"]
    assert "Sønderborg" in matcher.suggest("sonderbrg")
    assert matcher.suggest("x") == []


# --- measured: no fuzzy false hits in everyday requests -----------------------------------


def test_no_fuzzy_hits_on_massive_sample(matcher, massive_texts):
    # Sanity first: the fuzzy path is alive, so "no hits" below means something.
    assert any(m.score < 100 for m in matcher.find("jeg bor i brøndersleev"))
    sample = random.Random(MASSIVE_SEED).sample(massive_texts, MASSIVE_SAMPLE)
    assert len(sample) == MASSIVE_SAMPLE
    fuzzy = [(text, m.text, m.value, round(m.score, 1))
             for text in sample for m in matcher.find(text) if m.score < 100]
    assert not fuzzy, f"{len(fuzzy)} fuzzy hits in {MASSIVE_SAMPLE} MASSIVE lines: {fuzzy[:10]}"


def test_ordinary_words_near_a_name_block_fuzzy_matching():
    from assistant.nlu.municipality import FUZZY_MIN_LENGTH, MunicipalityMatcher, neighbours_in

    entries = [{"name": "Dragør"}, {"name": "Ringsted"}]
    keys = ["dragor", "ringsted"]
    words = ["drager", "dragon", "ringsteds", "bord", "hus", "kage"]
    near = neighbours_in(words, keys)
    assert near == {"drager", "dragon", "ringsteds"}
    assert all(len(w) >= FUZZY_MIN_LENGTH for w in near)
    # "dragon" is one edit from "dragor": an ordinary word blocks it, nothing else does.
    blocked = MunicipalityMatcher(entries, ordinary_words=frozenset({"dragon"}))
    free = MunicipalityMatcher(entries, ordinary_words=frozenset())
    assert free.normalise("dragon") == "Dragør"
    assert blocked.normalise("dragon") is None
    assert blocked.normalise("dragr") == "Dragør"


def test_neighbours_are_the_whole_word_list_s_effect(matcher):
    """The cached neighbours block exactly what the full word list blocked."""
    from assistant.nlu.municipality import _fuzzy_hit
    from assistant.text import danish_wordlist

    words = danish_wordlist()
    keys = matcher._fuzzy_keys
    sample = [w for w in sorted(words)[::50] if len(w) >= 5]
    for word in sample:
        hit = _fuzzy_hit(word, [k for k in keys if k[0] == word[0]])
        assert (hit is not None) == (word in matcher._wordlist), word


def test_neighbours_are_cached_on_disk(tmp_path, monkeypatch):
    import assistant.nlu.municipality as m

    keys = ["dragor", "ringsted"]
    monkeypatch.setattr(m, "danish_wordlist", lambda: frozenset({"drager", "bord"}))
    first = m.ordinary_neighbours(keys, cache_dir=tmp_path)
    assert first == {"drager"}
    assert len(list(tmp_path.glob("municipality-neighbours-*.json"))) == 1

    def no_word_list():
        raise AssertionError("the cache should have been read")

    monkeypatch.setattr(m, "danish_wordlist", no_word_list)
    assert m.ordinary_neighbours(keys, cache_dir=tmp_path) == first
    # Other names: another fingerprint, computed again.
    monkeypatch.setattr(m, "danish_wordlist", lambda: frozenset({"ringsteds"}))
    assert m.ordinary_neighbours(["ringsted"], cache_dir=tmp_path) == {"ringsteds"}
