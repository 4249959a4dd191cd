"""Held out means held out: a test sentence that is also a training example is left out of
the NLU figures, and what remains still meets the issue's minimum sizes."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.evaluation.nlu_data import Example, load_examples
from assistant.evaluation.nlu_eval import (
    CRISIS,
    HELDOUT_SETS,
    NLU_DIR,
    example_key,
    held_out_only,
)


def test_a_training_sentence_is_recognised_whatever_its_case_accents_and_punctuation():
    keys = {example_key("Tak for svaret!"), example_key("jeg er hjemløs")}
    examples = [Example("tak for svaret", "thank", ()),
                Example("Jeg er HJEMLOES?", "ask_housing", ()),
                Example("jeg er hjemlos", "ask_housing", ()),
                Example("jeg er hjemløs nu", "ask_housing", ()),
                Example("tak for hjælpen", "thank", ())]
    assert [e.text for e in held_out_only(examples, keys)] == ["jeg er hjemløs nu",
                                                                 "tak for hjælpen"]


@pytest.fixture(scope="module")
def held_out() -> list[Example]:
    keys = {example_key(e.text) for e in load_examples(sorted(NLU_DIR.glob("*.yml")))}
    examples = [e for p in HELDOUT_SETS for e in load_examples([p])]
    kept = held_out_only(examples, keys)
    assert not any(example_key(e.text) in keys for e in kept)
    assert len(kept) > 0.7 * len(examples)
    return kept


def test_the_held_out_examples_meet_the_minimum_per_intent(held_out):
    counts = Counter(e.intent for e in held_out)
    assert min(counts.values()) >= 15, counts
    for intent in (*CRISIS, "out_of_scope"):
        assert counts[intent] >= 30, (intent, counts[intent])


def test_held_out_municipality_values_are_official_names():
    """The entity's value is the official short name ("sonderborg" -> "Sønderborg"),
    so entity F1 measures normalisation too."""
    import yaml

    from assistant.config import PROJECT_ROOT

    entries = yaml.safe_load((PROJECT_ROOT / "data" / "knowledge" / "municipalities.yml")
                             .read_text(encoding="utf-8"))["municipalities"]
    official = {m["name"] for m in entries}
    values = [v for p in HELDOUT_SETS for e in load_examples([p]) for t, v in e.entities
              if t == "municipality"]
    assert len(values) > 100
    assert sorted(set(values) - official) == []
