"""A second opinion for DIET: a linear classifier over TF-IDF n-grams, blended with DIET.

DIET and a logistic regression over character and word n-grams make different mistakes on
text nobody tuned for (docs/nlu.md, "Second opinion"). Averaging their intent
probabilities scores better than either alone on every held-out set, lowers the share of
everyday MASSIVE requests taken for a support topic, and lets fewer harmless messages
reach a crisis intent through the classifier.

Safety rule: when DIET's best intent is `emergency` or `suicidal_crisis`, its ranking is
kept as it is. The blend can lower a crisis guess only through the reviewed false-friend
and not-acute lists of the crisis layer, never through the linear model.

The model is stored as JSON and NumPy arrays (vocabularies, IDF weights, coefficients),
not as a pickle, so loading a model archive never runs code from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from assistant.nlu.crisis import CRISIS_INTENTS
from assistant.text import fold

# (analyzer, ngram_range): character n-grams survive typos; word uni- and bigrams carry
# the phrases. Both on folded text, so "okonomi" = "økonomi".
VECTORIZERS: tuple[tuple[str, tuple[int, int]], ...] = (("char_wb", (2, 5)), ("word", (1, 2)))
ARRAYS_FILE = "linear_blend.npz"
META_FILE = "linear_blend.json"


@dataclass
class LinearIntentModel:
    """TF-IDF n-grams + multinomial logistic regression, storable without pickle."""

    vectorizers: list[TfidfVectorizer]
    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(cls, texts: list[str], intents: list[str], c: float = 10.0) -> LinearIntentModel:
        if len(set(intents)) < 2:
            raise ValueError("the linear intent model needs examples of at least two intents")
        vectorizers = [TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True)
                       for analyzer, ngrams in VECTORIZERS]
        folded = [fold(t) for t in texts]
        features = sp.hstack([v.fit_transform(folded) for v in vectorizers]).tocsr()
        regression = LogisticRegression(C=c, max_iter=3000)
        regression.fit(features, intents)
        return cls(vectorizers, [str(x) for x in regression.classes_], regression.coef_,
                   regression.intercept_)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        folded = [fold(t) for t in texts]
        features = sp.hstack([v.transform(folded) for v in self.vectorizers]).tocsr()
        scores = features @ self.coef.T + self.intercept
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, directory: Path) -> None:
        meta = {
            "classes": self.classes,
            "vectorizers": [
                {"analyzer": v.analyzer, "ngram_range": list(v.ngram_range),
                 "vocabulary": {term: int(i) for term, i in v.vocabulary_.items()}}
                for v in self.vectorizers
            ],
        }
        (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False),
                                           encoding="utf-8")
        # float32 halves the archive (~6 MB); probabilities move by < 1e-5.
        arrays = {f"idf_{i}": v.idf_.astype(np.float32) for i, v in enumerate(self.vectorizers)}
        np.savez_compressed(directory / ARRAYS_FILE, coef=self.coef.astype(np.float32),
                            intercept=self.intercept.astype(np.float32), **arrays)

    @classmethod
    def load(cls, directory: Path) -> LinearIntentModel:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
            vectorizers = []
            for i, spec in enumerate(meta["vectorizers"]):
                vectorizer = TfidfVectorizer(analyzer=spec["analyzer"],
                                             ngram_range=tuple(spec["ngram_range"]),
                                             sublinear_tf=True,
                                             vocabulary=spec["vocabulary"])
                # A fixed vocabulary needs no fitting; the IDF weights are restored as saved.
                vectorizer.idf_ = arrays[f"idf_{i}"].astype(np.float64)
                vectorizers.append(vectorizer)
            return cls(vectorizers, list(meta["classes"]), arrays["coef"].astype(np.float64),
                       arrays["intercept"].astype(np.float64))


def blend(ranking: list[dict[str, Any]], linear: dict[str, float], weight: float,
          length: int) -> list[dict[str, Any]]:
    """DIET's ranking blended with the linear model's probabilities.

    ``ranking`` is DIET's `intent_ranking` (name/confidence dicts, best first); intents
    missing from it count as 0. Returns the `length` best blended intents, best first.
    A ranking whose best intent is a crisis intent is returned unchanged (safety rule).
    """
    if not ranking or ranking[0].get("name") in CRISIS_INTENTS:
        return ranking
    diet = {r["name"]: float(r.get("confidence") or 0.0) for r in ranking}
    names = set(diet) | set(linear)
    blended = {n: weight * linear.get(n, 0.0) + (1 - weight) * diet.get(n, 0.0) for n in names}
    best = sorted(blended.items(), key=lambda item: (-item[1], item[0]))[:length]
    return [{"name": n, "confidence": float(c)} for n, c in best]
