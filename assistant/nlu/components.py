"""Custom Rasa NLU components (registered with Rasa's default recipe).

- :class:`MunicipalityEntityExtractor` finds the 98 municipality names (exact and fuzzy)
  and normalises them to the official short name.
- :class:`FoldedCountVectorsFeaturizer` is Rasa's CountVectorsFeaturizer on text with
  æ/ø/å spellings folded, so "okonomi", "oekonomi" and "økonomi" share features.
- :class:`LinearBlendClassifier` blends DIET's intent ranking with a TF-IDF + logistic
  regression second opinion.
- :class:`MunicipalityIntentResolver` keeps a message that names a municipality and asks for
  something else ("AA møder i Herning") from being taken as `inform_municipality`.
- :class:`CrisisPatternClassifier` runs after the intent classifiers and the fallback
  classifier and forces `emergency` / `suicidal_crisis` when a reviewed pattern matches.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu import intent_resolver, linear_blend
from assistant.nlu.crisis import CRISIS_INTENTS, CrisisDetector, default_detector
from assistant.nlu.linear_blend import LinearIntentModel
from assistant.nlu.municipality import MunicipalityMatcher, default_matcher
from assistant.text import fold

ENTITY_NAME = "municipality"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class MunicipalityEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `municipality` entities with official names as values."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, matcher: MunicipalityMatcher | None = None) -> None:
        self._matcher = matcher

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext
               ) -> MunicipalityEntityExtractor:
        return cls()

    @property
    def matcher(self) -> MunicipalityMatcher:
        if self._matcher is None:
            self._matcher = default_matcher()
        return self._matcher

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: ENTITY_NAME,
                    ENTITY_ATTRIBUTE_START: m.start,
                    ENTITY_ATTRIBUTE_END: m.end,
                    ENTITY_ATTRIBUTE_VALUE: m.value,
                    ENTITY_ATTRIBUTE_CONFIDENCE: round(m.score / 100, 3),
                    EXTRACTOR: self.__class__.__name__,
                }
                for m in self.matcher.find(text)
            ]
            if found:
                others = [e for e in message.get(ENTITIES, [])
                          if e.get(ENTITY_ATTRIBUTE_TYPE) != ENTITY_NAME]
                message.set(ENTITIES, others + found, add_to_output=True)
        return messages


def _municipality_spans(message: Message) -> list[tuple[int, int]]:
    return [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
            for e in message.get(ENTITIES, []) or []
            if e.get(ENTITY_ATTRIBUTE_TYPE) == ENTITY_NAME]


class _StoredComponent(GraphComponent):
    """Shared set-up of the trainable components that keep what they learn in Rasa's model
    storage (not registered with the recipe itself)."""

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> _StoredComponent:
        return cls(config, model_storage, resource)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class MunicipalityIntentResolver(_StoredComponent):
    """Replaces `inform_municipality` when the message says more than where one lives.

    Trained on the words of the `inform_municipality` examples (see
    assistant/nlu/intent_resolver.py); runs after the FallbackClassifier.
    """

    VOCABULARY_FILE = "inform_vocabulary.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": intent_resolver.DEFAULT_MIN_CONFIDENCE}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, vocabulary: set[str] | None = None) -> None:
        super().__init__(config, model_storage, resource)
        self.vocabulary = vocabulary or set()

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = intent_resolver.inform_vocabulary(
            (m.get(TEXT) or "", _municipality_spans(m))
            for m in training_data.intent_examples
            if m.get(INTENT) == intent_resolver.INFORM)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any
             ) -> MunicipalityIntentResolver:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / cls.VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            words = []
        return cls(config, model_storage, resource, set(words))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY, []) or []
            chosen = intent_resolver.resolve(
                message.get(TEXT) or "", _municipality_spans(message), ranking,
                self.vocabulary, self._config["min_confidence"])
            if chosen is None:
                continue
            reordered = [chosen] + [r for r in ranking if r is not chosen]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, reordered, add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class LinearBlendClassifier(_StoredComponent):
    """Blends DIET's intent ranking with a TF-IDF + logistic-regression model trained on
    the same examples (assistant/nlu/linear_blend.py); runs right after DIET."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"weight": 0.5, "C": 10.0, "ranking_length": 10}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, model: LinearIntentModel | None = None) -> None:
        super().__init__(config, model_storage, resource)
        if not 0.0 <= float(self._config["weight"]) <= 1.0:
            raise ValueError("LinearBlendClassifier: 'weight' must be between 0 and 1, "
                             f"got {self._config['weight']!r}")
        self.model = model

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        self.model = LinearIntentModel.fit([m.get(TEXT) for m in examples],
                                           [m.get(INTENT) for m in examples],
                                           c=float(self._config["C"]))
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearBlendClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = LinearIntentModel.load(directory)
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None or not messages:
            return messages
        probabilities = self.model.probabilities([m.get(TEXT) or "" for m in messages])
        for message, row in zip(messages, probabilities, strict=True):
            ranking = message.get(INTENT_RANKING_KEY, []) or []
            linear = dict(zip(self.model.classes, (float(p) for p in row), strict=True))
            blended = linear_blend.blend(ranking, linear, float(self._config["weight"]),
                                         int(self._config["ranking_length"]))
            if blended is ranking or not blended:
                continue
            message.set(INTENT, blended[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, blended, add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisPatternClassifier(GraphComponent):
    """Overrides the predicted intent when a reviewed crisis pattern matches."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, detector: CrisisDetector | None = None) -> None:
        self._detector = detector

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext
               ) -> CrisisPatternClassifier:
        return cls()

    @property
    def detector(self) -> CrisisDetector:
        if self._detector is None:
            self._detector = default_detector()
        return self._detector

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            hit = self.detector.detect(text)
            if hit is None:
                self._demote_classifier_crisis(message, text)
                continue
            forced = {INTENT_NAME_KEY: hit.intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [forced] + [
                r for r in message.get(INTENT_RANKING_KEY, []) or []
                if r.get(INTENT_NAME_KEY) != hit.intent
            ]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set("crisis_pattern", hit.pattern_id, add_to_output=True)
        return messages

    def _demote_classifier_crisis(self, message: Message, text: str) -> None:
        """The classifier's crisis guess on a reviewed false friend ("kan I slå græsset hos
        mig, jeg er 84"), or its `emergency` guess on a message that says the danger is not
        now ("flere gange om ugen"), gives way to its best non-crisis intent. Only when no
        crisis pattern matched: the patterns are checked first and always win."""
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent not in CRISIS_INTENTS:
            return
        if not (self.detector.false_friend(text)
                or (intent == "emergency" and self.detector.not_acute(text))):
            return
        ranking = message.get(INTENT_RANKING_KEY, []) or []
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) not in CRISIS_INTENTS]
        if not rest:
            return
        message.set(INTENT, rest[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, rest + [r for r in ranking if r not in rest],
                    add_to_output=True)
        message.set("crisis_false_friend", True, add_to_output=True)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True
)
class FoldedCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Count vectors over folded tokens ("økonomi" → "okonomi")."""

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        tokens = super()._process_tokens(tokens, attribute)
        if attribute != TEXT:
            return tokens
        return [fold(t) for t in tokens]
