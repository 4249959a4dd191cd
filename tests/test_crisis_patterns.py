"""The crisis pattern layer against the reviewed cases in tests/nlu/crisis_cases.yml.

NOTE: data/safety/crisis_patterns.yml is being tuned; case failures here point at the
pattern file, not at these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.nlu.crisis import (
    CRISIS_INTENTS,
    PATTERNS_FILE,
    CrisisDetector,
    CrisisPatternError,
    default_detector,
)

CASES_FILE = Path(__file__).parent / "nlu" / "crisis_cases.yml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
MUST_TRIGGER = [(intent, text) for intent, texts in CASES["must_trigger"].items()
                for text in texts]
MUST_NOT_TRIGGER = list(CASES["must_not_trigger"])


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    detector = CrisisDetector.from_file(PATTERNS_FILE)
    # A detector that never fires would pass every must_not_trigger case; make sure it is live.
    live = detector.detect("jeg vil ikke leve mere")
    assert live is not None and live.intent == "suicidal_crisis"
    return detector


def test_case_file_is_not_empty():
    assert {intent for intent, _ in MUST_TRIGGER} == set(CRISIS_INTENTS)
    assert len(MUST_TRIGGER) > 50 and len(MUST_NOT_TRIGGER) > 50


@pytest.mark.parametrize("intent, text", MUST_TRIGGER, ids=[t for _, t in MUST_TRIGGER])
def test_must_trigger(detector, intent, text):
    hit = detector.detect(text)
    assert hit is not None, f"no crisis pattern matched: {text!r}"
    assert hit.intent == intent, f"{text!r} -> {hit.intent} ({hit.pattern_id}), want {intent}"


@pytest.mark.parametrize("text", MUST_NOT_TRIGGER, ids=MUST_NOT_TRIGGER)
def test_must_not_trigger(detector, text):
    hit = detector.detect(text)
    assert hit is None, f"{text!r} triggered {hit.intent} via pattern {hit.pattern_id!r}"


def test_spelling_and_whitespace_variants_alike(detector):
    base = detector.detect("han slår mig lige nu")
    assert base is not None
    for variant in ("han slaar mig lige nu", "HAN SLÅR MIG LIGE NU",
                    "han   slår\nmig lige nu"):
        hit = detector.detect(variant)
        assert hit is not None and hit.intent == base.intent, variant


def test_default_detector_is_the_file(detector):
    assert default_detector() is default_detector()
    assert default_detector().detect("jeg har selvmordstanker") == detector.detect(
        "jeg har selvmordstanker")


def test_real_pattern_file_compiles_with_both_intents():
    spec = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    assert set(spec["patterns"]) == set(CRISIS_INTENTS)
    ids = [e["id"] for intent in CRISIS_INTENTS for e in spec["patterns"][intent]]
    assert len(ids) == len(set(ids)), "pattern ids must be unique"
    CrisisDetector(spec)


def test_zero_hits_on_massive(detector, massive_texts):
    assert detector.detect("jeg vil ikke leve mere") is not None  # the detector is alive
    hits = [(text, h.intent, h.pattern_id) for text in massive_texts
            if (h := detector.detect(text))]
    assert not hits, f"{len(hits)} crisis hits on everyday requests: {hits[:10]}"


# --- malformed pattern files ----------------------------------------------------------------


def _spec(**patterns) -> dict:
    return {"words": {"kin": ["mor", "far"]}, "patterns": patterns}


@pytest.mark.parametrize("spec, words", [
    (_spec(emergency=[{"id": "no-regex"}]), ["emergency[no-regex]", "regex"]),
    (_spec(emergency=[{"regex": "hjælp"}]), ["emergency[0]", "id"]),
    (_spec(suicidal_crisis=[{"id": "broken", "regex": "(unclosed"}]),
     ["suicidal_crisis[broken]", "regex"]),
    (_spec(emergency=[{"id": "bad-list", "regex": "min {nabo}"}]), ["bad-list", "nabo"]),
    (_spec(panic=[{"id": "x", "regex": "y"}]), ["panic"]),
    ({"words": {"kin": 5}, "patterns": {"emergency": []}}, ["words[kin]"]),
    ({"words": {"Kin": ["mor"]}, "patterns": {"emergency": []}}, ["words[Kin]"]),
    ({"words": ["mor"], "patterns": {"emergency": []}}, ["words"]),
    ({"unless": ["(bad"], "patterns": {"emergency": []}}, ["unless[0]"]),
    ({"patterns": None}, ["patterns"]),
    ([], ["patterns"]),
])
def test_malformed_spec_names_the_entry(spec, words):
    with pytest.raises(CrisisPatternError) as err:
        CrisisDetector(spec, "test.yml")
    message = str(err.value)
    assert message.startswith("test.yml")
    for word in words:
        assert word in message


@pytest.mark.parametrize("entries", [
    ["\\bhjælp\\b"],                  # a bare regex without id
    [["id", "regex"]],               # a list instead of a mapping
    "\\bhjælp\\b",                    # a string instead of a list of entries
])
def test_entry_that_is_not_a_mapping_is_a_pattern_error(entries):
    """A slip in the YAML (an entry without `id:`/`regex:` keys) must be reported as a
    CrisisPatternError naming the entry, not crash with AttributeError."""
    with pytest.raises(CrisisPatternError) as err:
        CrisisDetector({"patterns": {"emergency": entries}}, "test.yml")
    assert "emergency" in str(err.value)


def test_regex_that_is_not_text_is_a_pattern_error():
    with pytest.raises(CrisisPatternError) as err:
        CrisisDetector({"patterns": {"emergency": [{"id": "listy", "regex": ["a", "b"]}]}},
                       "test.yml")
    assert "listy" in str(err.value)


def test_from_file_names_the_file(tmp_path: Path):
    path = tmp_path / "my_patterns.yml"
    path.write_text("patterns:\n  emergency:\n    - id: only-id\n", encoding="utf-8")
    with pytest.raises(CrisisPatternError) as err:
        CrisisDetector.from_file(path)
    assert "my_patterns.yml" in str(err.value) and "only-id" in str(err.value)


def test_word_lists_expand_and_nest():
    spec = {
        "words": {"kin": ["mor", "far"], "someone": ["min\\s+{kin}"]},
        "unless": ["\\bmin mor er dødtræt\\b"],
        "patterns": {"emergency": [{"id": "kin-hit", "regex": "{someone}\\s+slår\\s+mig"}]},
    }
    detector = CrisisDetector(spec)
    assert detector.detect("min far slår mig").pattern_id == "kin-hit"
    assert detector.detect("MIN MOR SLAAR MIG").intent == "emergency"
    assert detector.detect("min nabo slår mig") is None
    assert detector.detect("min mor er dødtræt") is None


def test_emergency_is_checked_before_suicidal_crisis():
    spec = {"patterns": {"suicidal_crisis": [{"id": "s", "regex": "hjælp"}],
                         "emergency": [{"id": "e", "regex": "hjælp"}]}}
    assert CrisisDetector(spec).detect("hjælp").intent == "emergency"


def test_shouted_patterns_need_capitals_and_name_a_broken_entry():
    spec = {"patterns": {"emergency": [{"id": "x", "regex": "zzz"}]},
            "shouted": ["^hjælp$"]}
    detector = CrisisDetector(spec)
    assert detector.detect("HJÆLP").pattern_id == "shouted"
    assert detector.detect("hjælp") is None
    with pytest.raises(CrisisPatternError, match=r"shouted\[0\]"):
        CrisisDetector({**spec, "shouted": ["(hjælp"]})
