"""The rule that keeps "AA møder i Herning" from being taken as inform_municipality."""

from __future__ import annotations

import pytest

from assistant.nlu.intent_resolver import (
    extra_words,
    inform_vocabulary,
    resolve,
    without_spans,
)

EXAMPLES = [("jeg bor i Randers", [(10, 17)]), ("Vi bor på Fanø", [(10, 14)]),
            ("det er Sønderborg kommune", [(7, 17)])]


@pytest.fixture
def vocabulary() -> set[str]:
    return inform_vocabulary(EXAMPLES)


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_vocabulary_is_folded_and_leaves_the_names_out(vocabulary):
    assert vocabulary == {"jeg", "bor", "i", "vi", "pa", "det", "er", "kommune"}


def test_spans_are_cut_out():
    assert without_spans("AA møder i Herning", [(11, 18)]).strip() == "AA møder i"


def test_extra_words_ignore_numbers_and_folded_spellings(vocabulary):
    assert extra_words("jeg bor på Fanø 2 år", [(11, 15)], vocabulary) == ["ar"]
    assert extra_words("Jeg BOR paa Fanø", [(12, 16)], vocabulary) == []


def test_a_question_with_a_municipality_takes_the_next_intent(vocabulary):
    chosen = resolve("AA møder i Herning", [(11, 18)],
                     ranking(("inform_municipality", 0.6), ("ask_addiction", 0.3)), vocabulary)
    assert chosen == {"name": "ask_addiction", "confidence": 0.3}


def test_a_plain_answer_stays_inform_municipality(vocabulary):
    assert resolve("jeg bor i Herning", [(10, 17)],
                   ranking(("inform_municipality", 0.9), ("ask_housing", 0.05)),
                   vocabulary) is None


def test_a_weak_second_intent_is_not_taken(vocabulary):
    assert resolve("AA møder i Herning", [(11, 18)],
                   ranking(("inform_municipality", 0.95), ("ask_addiction", 0.04)),
                   vocabulary) is None


def test_fallback_is_skipped_and_other_intents_are_left_alone(vocabulary):
    chosen = resolve("AA møder i Herning", [(11, 18)],
                     ranking(("inform_municipality", 0.5), ("nlu_fallback", 0.3),
                             ("ask_addiction", 0.2)), vocabulary)
    assert chosen["name"] == "ask_addiction"
    assert resolve("AA møder i Herning", [(11, 18)],
                   ranking(("ask_addiction", 0.9), ("inform_municipality", 0.1)),
                   vocabulary) is None


def test_without_a_vocabulary_nothing_changes():
    assert resolve("AA møder i Herning", [(11, 18)],
                   ranking(("inform_municipality", 0.6), ("ask_addiction", 0.3)), set()) is None
