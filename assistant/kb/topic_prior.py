"""P(topic | question): a small text classifier that tells the search which topics a
question is probably about, even when it shares no word with the thesaurus.

It is trained on the NLU training examples in `data/nlu/*.yml`: each topic intent
(`ask_housing`, `ask_violence`, …, as `topics.yml` maps intents to topics) labels its
examples with that topic; `emergency` is its own topic as `topics.yml` maps it (without
that mapping it counts as violence: its examples are mostly about being attacked or
threatened now). The model is TF-IDF over folded words and folded character 2–5-grams
inside words, with a multinomial logistic regression on top.

`CrisisTopics` names the crisis topic that the reviewed crisis patterns find in a message.

Fitting takes about a second, so it happens lazily on the first question and once per
process (`TopicPrior.predict` fits on demand), never at import time. A prediction then
takes well under a millisecond.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.text import fold, words

NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"

# Intents whose examples speak of a topic that `topics.yml` gives to another intent.
EXTRA_INTENT_TOPICS = {"emergency": "violence"}

# "[Randers](municipality)" and "[x]{...}" in Rasa's training format -> the plain text.
_ENTITY_RE = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def read_nlu_examples(nlu_dir: Path = NLU_DIR) -> list[tuple[str, str]]:
    """(text, intent) for every example in the Rasa NLU files of `nlu_dir`."""
    out: list[tuple[str, str]] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent, examples = block.get("intent"), block.get("examples")
            if not intent or not isinstance(examples, str):
                continue
            for line in examples.splitlines():
                text = line.strip()
                if text.startswith("- "):
                    out.append((_ENTITY_RE.sub(r"\1", text[2:]).strip(), intent))
    return out


def topic_examples(examples: Iterable[tuple[str, str]],
                   intent_topics: Mapping[str, str]) -> list[tuple[str, str]]:
    """(text, topic) for the examples whose intent maps to a topic."""
    mapping = {**EXTRA_INTENT_TOPICS, **intent_topics}
    return [(text, mapping[intent]) for text, intent in examples if intent in mapping]


def prior_from_intents(ranking: Iterable[Mapping[str, Any]],
                       intent_topics: Mapping[str, str]) -> dict[str, float]:
    """Topic -> probability from an NLU intent ranking (`[{"name", "confidence"}, ...]`).

    The confidences are not renormalised: what the NLU gives to intents without a topic
    (greetings, out of scope, fallback) stays unspent, so an off-topic message gets a weak
    prior rather than a confident guess. Returns {} (no prior) when no topic intent is
    ranked.
    """
    mapping = {**EXTRA_INTENT_TOPICS, **intent_topics}
    prior: dict[str, float] = {}
    for entry in ranking:
        topic = mapping.get(str(entry.get("name") or ""))
        if topic:
            prior[topic] = prior.get(topic, 0.0) + max(float(entry.get("confidence") or 0), 0)
    return prior if any(prior.values()) else {}


def _normalise(text: str) -> str:
    return " ".join(fold(w) for w in words(text))


class TopicPrior:
    """A topic classifier over `(text, topic)` examples, fitted on its first prediction.

    `examples` is the list itself or a function returning it (read when first needed).
    """

    def __init__(self, examples: Sequence[tuple[str, str]]
                 | Callable[[], Sequence[tuple[str, str]]], *, c: float = 4.0) -> None:
        self._examples = examples
        self._c = c
        self._model: Any = None
        self._classes: list[str] = []
        self._fitted = False
        self._lock = threading.Lock()

    @classmethod
    def from_nlu(cls, intent_topics: Mapping[str, str], nlu_dir: Path = NLU_DIR) -> TopicPrior:
        """A prior trained on the NLU files, `intent_topics` mapping intent -> topic id."""
        mapping = dict(intent_topics)
        return cls(lambda: topic_examples(read_nlu_examples(nlu_dir), mapping))

    @property
    def topics(self) -> list[str]:
        self._fit()
        return list(self._classes)

    def _fit(self) -> None:
        if self._fitted:
            return
        with self._lock:
            if self._fitted:
                return
            examples = self._examples() if callable(self._examples) else self._examples
            self._model, self._classes = _train(examples, self._c)
            self._fitted = True

    def predict(self, text: str) -> dict[str, float]:
        """Topic -> probability (summing to 1), or {} when there is nothing to go on."""
        self._fit()
        normalised = _normalise(text)
        if not self._classes or not normalised:
            return {}
        if self._model is None:  # one topic only
            return {self._classes[0]: 1.0}
        return dict(self._cached(normalised))

    @lru_cache(maxsize=4096)  # noqa: B019 - one prior per knowledge base, kept for its life
    def _cached(self, normalised: str) -> tuple[tuple[str, float], ...]:
        probs = self._model.predict_proba([normalised])[0]
        return tuple((t, float(p)) for t, p in zip(self._classes, probs, strict=True))


def _train(examples: Sequence[tuple[str, str]], c: float) -> tuple[Any, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    texts = [_normalise(t) for t, _ in examples]
    labels = [topic for _, topic in examples]
    classes = sorted(set(labels))
    if len(classes) < 2:
        return None, classes
    features = make_union(
        TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                        min_df=2),
    )
    model = make_pipeline(features, LogisticRegression(C=c, max_iter=2000))
    model.fit(texts, labels)
    return model, list(model.classes_)


class CrisisTopics:
    """The crisis topic of a message from the reviewed crisis patterns
    (`assistant.nlu.crisis`, `data/safety/crisis_patterns.yml`): the topic that
    `intent_topics` gives the intent a pattern forces ("emergency" -> "emergency",
    "suicidal_crisis" -> "suicide"), or None. The patterns are read on first use."""

    def __init__(self, intent_topics: Mapping[str, str],
                 detector: Callable[[], Any] | None = None) -> None:
        self._intent_topics = dict(intent_topics)
        self._detector = detector

    def topic(self, text: str) -> str | None:
        if self._detector is None:
            from assistant.nlu.crisis import default_detector

            self._detector = default_detector
        hit = self._detector().detect(text)
        return self._intent_topics.get(hit.intent) if hit is not None else None

