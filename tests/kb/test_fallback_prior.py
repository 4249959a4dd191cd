"""The fallback action ranks knowledge-base answers with the NLU's intent ranking as the
topic prior, so an off-topic message is not lifted over the answer threshold by the
search's own topic guess."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import KB_ANSWER_MIN_SCORE, ActionFallback
from assistant import runtime
from assistant.dialogue.answers import TOPIC_INTENTS
from assistant.kb.topic_prior import prior_from_intents

ROOT = Path(__file__).resolve().parents[2]
OFF_TOPIC = "hejsa bot"  # a greeting; the classifier alone would read a topic into it
OFF_TOPIC_RANKING = [{"name": "greet", "confidence": 0.9},
                     {"name": "ask_housing", "confidence": 0.02},
                     {"name": "out_of_scope", "confidence": 0.08}]


def test_prior_from_intents_keeps_the_unspent_mass():
    ranking = [{"name": "nlu_fallback", "confidence": 0.5},
               {"name": "ask_economy", "confidence": 0.3},
               {"name": "ask_housing", "confidence": 0.15},
               {"name": "emergency", "confidence": 0.05}]
    prior = prior_from_intents(ranking, {"ask_economy": "economy", "ask_housing": "housing"})
    assert prior == pytest.approx({"economy": 0.3, "housing": 0.15, "violence": 0.05})
    assert prior_from_intents([{"name": "greet", "confidence": 1.0}], TOPIC_INTENTS) == {}
    assert prior_from_intents([], TOPIC_INTENTS) == {}


@pytest.fixture
def use_kb(kb):
    runtime.use_knowledge_base(kb)
    yield kb
    runtime.use_knowledge_base(None)


def _run_fallback(text: str, ranking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    parse = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.4},
             "entities": [], "intent_ranking": ranking}
    event = {"event": "user", "text": text, "parse_data": parse}
    tracker = Tracker("test", {}, parse, [event], False, None, None, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionFallback().run(dispatcher, tracker, Domain.load(str(ROOT / "domain")).as_dict())
    return dispatcher.messages


def test_fallback_uses_the_intent_ranking_not_the_classifier(use_kb):
    kb = use_kb
    # The premise: the search's own guess lifts this greeting over the threshold ...
    assert kb.search(OFF_TOPIC, k=1)[0].score >= KB_ANSWER_MIN_SCORE
    assert kb.search(OFF_TOPIC, k=1, topic_prior={})[0].score < KB_ANSWER_MIN_SCORE
    # ... but the fallback asks the NLU, which finds no topic in it, so no answer is given.
    messages = _run_fallback(OFF_TOPIC, OFF_TOPIC_RANKING)
    assert [m["response"] for m in messages] == ["utter_fallback_suggest"]
