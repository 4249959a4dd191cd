"""The linear second opinion blended with DIET (assistant/nlu/linear_blend.py)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from assistant.nlu.components import LinearBlendClassifier
from assistant.nlu.linear_blend import LinearIntentModel, blend
from assistant.text import fold

EXAMPLES = [
    ("jeg har gæld til skat", "ask_economy"),
    ("kan ikke betale mine regninger", "ask_economy"),
    ("hjælp til budget og økonomi", "ask_economy"),
    ("jeg er hjemløs", "ask_housing"),
    ("vi bliver sat ud af lejligheden", "ask_housing"),
    ("hvor er der et herberg", "ask_housing"),
    ("hej", "greet"),
    ("godmorgen", "greet"),
    ("hej med dig", "greet"),
]


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in pairs]


@pytest.fixture(scope="module")
def model() -> LinearIntentModel:
    return LinearIntentModel.fit([t for t, _ in EXAMPLES], [i for _, i in EXAMPLES])


def test_probabilities_equal_scikit_learns_own(model):
    reference = make_pipeline(
        make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                   TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        LogisticRegression(C=10.0, max_iter=3000))
    reference.fit([fold(t) for t, _ in EXAMPLES], [i for _, i in EXAMPLES])
    texts = ["okonomi og gaeld", "hjemlos i nat", "hejsa"]
    assert list(reference.classes_) == model.classes
    np.testing.assert_allclose(model.probabilities(texts),
                               reference.predict_proba([fold(t) for t in texts]), atol=1e-6)


def test_folded_spellings_reach_the_right_intent(model):
    best = [model.classes[i] for i in model.probabilities(
        ["okonomi gaeld", "hjemlos", "hej hej"]).argmax(axis=1)]
    assert best == ["ask_economy", "ask_housing", "greet"]


def test_saved_model_loads_without_pickle_and_predicts_the_same(model, tmp_path):
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linear_blend.json",
                                                          "linear_blend.npz"]
    loaded = LinearIntentModel.load(tmp_path)
    texts = ["jeg skylder penge", "ingen steder at sove"]
    np.testing.assert_allclose(loaded.probabilities(texts), model.probabilities(texts),
                               atol=1e-5)


def test_one_intent_is_not_enough():
    with pytest.raises(ValueError, match="at least two intents"):
        LinearIntentModel.fit(["hej", "hejsa"], ["greet", "greet"])


def test_blend_averages_and_counts_missing_intents_as_zero():
    result = blend(ranking(("ask_housing", 0.6), ("ask_economy", 0.4)),
                   {"ask_economy": 0.9, "ask_housing": 0.05, "greet": 0.05}, 0.5, 10)
    assert [r["name"] for r in result] == ["ask_economy", "ask_housing", "greet"]
    assert [round(r["confidence"], 3) for r in result] == [0.65, 0.325, 0.025]


def test_blend_weight_zero_keeps_diet_and_length_cuts():
    diet = ranking(("ask_housing", 0.7), ("ask_economy", 0.2), ("greet", 0.1))
    result = blend(diet, {"greet": 1.0}, 0.0, 2)
    assert [r["name"] for r in result] == ["ask_housing", "ask_economy"]


@pytest.mark.parametrize("crisis", ["emergency", "suicidal_crisis"])
def test_a_crisis_guess_of_diet_is_never_blended_away(crisis):
    diet = ranking((crisis, 0.4), ("ask_housing", 0.35))
    assert blend(diet, {"ask_housing": 1.0}, 0.9, 10) is diet


def test_an_empty_ranking_stays_empty():
    assert blend([], {"greet": 1.0}, 0.5, 10) == []


def _storage(tmp_path) -> tuple[LocalModelStorage, Resource]:
    return LocalModelStorage(tmp_path), Resource("linear_blend")


def test_component_trains_stores_loads_and_corrects_diet(tmp_path):
    storage, resource = _storage(tmp_path)
    training = TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in EXAMPLES])
    trained = LinearBlendClassifier.create({}, storage, resource, None)
    trained.train(training)
    loaded = LinearBlendClassifier.load({}, storage, resource, None)
    assert loaded.model is not None and loaded.model.classes == trained.model.classes

    message = Message(data={TEXT: "jeg har gaeld og kan ikke betale regninger"})
    message.set(INTENT, {"name": "ask_housing", "confidence": 0.55})
    message.set(INTENT_RANKING_KEY, ranking(("ask_housing", 0.55), ("ask_economy", 0.45)))
    loaded.process([message])
    assert message.get(INTENT)["name"] == "ask_economy"
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)][:2] == ["ask_economy",
                                                                        "ask_housing"]


def test_component_without_a_stored_model_changes_nothing(tmp_path):
    storage, resource = _storage(tmp_path)
    component = LinearBlendClassifier.load({}, storage, resource, None)
    message = Message(data={TEXT: "hej"})
    message.set(INTENT_RANKING_KEY, ranking(("greet", 0.9)))
    component.process([message])
    assert component.model is None
    assert message.get(INTENT) is None


def test_component_rejects_a_weight_outside_zero_to_one(tmp_path):
    storage, resource = _storage(tmp_path)
    with pytest.raises(ValueError, match="'weight' must be between 0 and 1"):
        LinearBlendClassifier.create({"weight": 1.5}, storage, resource, None)
