"""Retrieval over the knowledge base: BM25 over Danish lemmas, spelling-folded so "okonomi"
finds "økonomi", bridged to the policies' own vocabulary by a staff-edited thesaurus.

A passage's score is the sum of

* BM25F over folded lemmas, with field weights (title > text > section > topic names) and
  Danish compounds split into their parts ("psykologbehandling" also counts as "psykolog"
  and "behandling", at a lower weight); a query word the index does not know stands, at
  a lower weight, for the indexed word nearest in spelling with the same start
  ("misbruge" -> "misbrug", "motionere" -> "motion");
* concept matches: every group in `data/knowledge/synonyms.yml` is a concept, indexed as a
  pseudo-term wherever one of its words or phrases occurs, so "min mand slår mig" reaches
  passages about "vold" and "kender ingen" passages about "ensomhed";
* the best-matching of the passage's staff-written example questions (`questions:`,
  `question_index.py`), when it shares at least two words with the query, so "jeg vil
  ikke have at andre bestemmer over mig" reaches the statement on co-determination;
* a character 3–5-gram TF-IDF cosine, a weak signal for spellings and inflections the
  lemma table does not know;

multiplied by a boost for passages on the topics the query's concepts point to, by
(1 + P), where P is the probability that the question's topic is one of the passage's
topics (the topic prior: a classifier trained on the NLU examples, `topic_prior.py`, or a
prior the caller passes, e.g. from the NLU's intent ranking) and, when a municipality is
set, by a boost for that municipality's own passages over national ones and a penalty
for services only for another region (`Passage.region`: another region's 1813 or
vagtlæge). A question about the policy as a whole (`policy_level`: the prior's or the
concepts' `general`) lifts the policy's own `general` statements. The prior only reorders
passages that match the query; it never adds one.

In a question, one- and two-digit numbers that are no paragraph ("§ 10", "paragraf 10")
are ages and counts, no search terms ("ringer 10 gange" is not § 10); an age adds its age
group's word instead ("er 16": "ung", "på 85": "ældre", `age_words`). The thesaurus reads
"vores"/"min"/"mine" alike ("vores søn" matches the phrase "min søn").

Crisis messages are the exception (`crisis_topic`): when the reviewed crisis patterns
(`data/safety/crisis_patterns.yml`) or, for acute danger in everyday words ("min far er
faldet om", "ondt i brystet"), the prior say a message is an emergency or about suicide,
that topic's first-line services (the lowest priority number: 112; 112 and Livslinien)
come first, even without a word in common. A pattern hit the prior reads as mainly about
another topic ("min kæreste slår mig": violence) is ranked as usual.

A query word the index does not know but knows without a final "s" is read as that word
(the genitive: "lokks" -> "lokk", "sønderborgs" -> "sønderborg").

Stop words (spaCy's Danish list, the assistant's context words, fillers and light verbs
such as "tage" and "slå") are no search terms of their own but still count inside thesaurus
phrases; "§ 85 a" is read as the one paragraph number "85a", apart from "§ 85".

The corpus is small (a few hundred passages), so the index lives in memory, is built once
per knowledge-base snapshot and answers a query in a few milliseconds, most of it the topic
classifier's (fitted on the first query, in a few seconds). Search is deterministic: equal
scores are ordered by passage id.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from assistant.kb.analysis import weighted_terms
from assistant.kb.bm25 import BM25, SparseRows
from assistant.kb.query_numbers import age_words, query_text
from assistant.kb.question_index import QuestionIndex
from assistant.kb.thesaurus import SynonymGroup, Thesaurus

# Field weights (per occurrence of a term in the field).
W_TITLE = 2.0
W_SECTION = 1.0
W_TEXT = 1.0
W_EXTRA = 0.3  # topic names, municipality, audience: indexed but not shown
W_QUESTION = 1.0  # the passage's best-matching example question (question_index.py)
# Query side.
W_CONCEPT = 1.6  # a thesaurus concept the query mentions
NGRAM_WEIGHT = 2.0  # character n-gram cosine, added to BM25
NGRAM_MIN = 0.2  # a passage with no term in common needs at least this cosine
NGRAM_SIZES = (3, 4, 5)
W_AGE = 0.3  # "ung"/"ældre"/"barn" for an age in the question ("er 16", "på 82")
W_FUZZY = 0.6  # a misspelt or unknown query word stands for its nearest indexed word
FUZZY_MIN = 0.6  # least trigram similarity (Dice) for that
TOPIC_BOOST = 0.4  # passages on the topics the query's concepts point to
MUNICIPALITY_BOOST = 0.5  # the chosen municipality's own passages
OTHER_REGION_FACTOR = 0.5  # with a municipality set: services of another region
PRIOR_WEIGHT = 1.0  # passages on the topics the topic classifier (topic_prior.py) expects
# A question about the policy as a whole ("hvad går jeres socialpolitik ud på", "hvem er
# den for") lifts the policy's own statements on POLICY_TOPIC (vision, values, focus areas,
# target group, background) by (1 + POLICY_BOOST * P), P the larger of the prior's
# P(POLICY_TOPIC) and the share of the question's thesaurus concepts that point to it.
POLICY_TOPIC = "general"
POLICY_BOOST = 0.5
# Crisis topics: a message in acute danger or with suicidal thoughts gets that topic's
# first-line services (lowest priority number: 112, Livslinien) first.
CRISIS_TOPICS = ("emergency", "suicide")
# A crisis pattern hit on a message the prior reads as one of these is ranked as usual.
CRISIS_VETO_TOPICS = ("violence", "relatives")
ACUTE_PRIOR_MIN = 0.4  # P(emergency) that makes a message acute without a crisis pattern


class TopicModel(Protocol):
    """Anything that guesses P(topic | question), such as `topic_prior.TopicPrior`."""

    def predict(self, text: str) -> dict[str, float]: ...


class CrisisModel(Protocol):
    """Anything that names the crisis topic of a message ("emergency", "suicide") or None,
    such as the reviewed crisis patterns (`topic_prior.CrisisTopics`)."""

    def topic(self, text: str) -> str | None: ...


def crisis_topic(detected: str | None, prior: Mapping[str, float] | None) -> str | None:
    """The crisis topic of a message, from what the crisis patterns detected and the prior.

    * A pattern hit counts unless the prior's most likely topic is one of
      CRISIS_VETO_TOPICS: "min kæreste slår mig" hits a violence pattern, but it asks about
      violence (crisis centres, Lev uden vold; 112 is a violence passage too), and "min
      datter skader sig selv, hvordan taler jeg med hende" is a relative asking for advice.
      Other topics do not veto ("der er ild i lejligheden" may read as housing).
    * Without a hit, a prior whose most likely topic is `emergency` with at least
      ACUTE_PRIOR_MIN makes the message acute: emergencies come in too many everyday
      words ("ligger på gulvet", "ondt i brystet") for patterns. Suicide needs a pattern,
      as the prior's suicide class also fires on "livet" and "selv" in plain questions.
    """
    top = max(prior.items(), key=lambda kv: (kv[1], kv[0])) if prior else None
    if detected:
        return None if top is not None and top[0] in CRISIS_VETO_TOPICS else detected
    if top is not None and top[0] == "emergency" and top[1] >= ACUTE_PRIOR_MIN:
        return "emergency"
    return None


def policy_level(concept_topics: Mapping[str, float],
                 prior: Mapping[str, float] | None) -> float:
    """How much a question is about the policy as a whole (0..1): the larger of the prior's
    P(POLICY_TOPIC) and the share of its thesaurus concepts pointing to POLICY_TOPIC
    ("socialpolitik", "værdier", "vision", "målgruppe", ...)."""
    from_prior = float(prior.get(POLICY_TOPIC, 0.0)) if prior else 0.0
    return max(from_prior, float(concept_topics.get(POLICY_TOPIC, 0.0)))


# --- index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    kind: str  # "statement" | "service" | "law"
    id: str
    title: str
    text: str
    topics: tuple[str, ...]
    municipality: str | None  # None for national services and laws
    citation: str
    boost_text: str = ""  # topic names and keywords, indexed but not shown
    section: str = ""  # the statement's section heading (and kind), indexed but not shown
    priority: int = 0  # a service's priority (1 comes first); 0 for statements and laws
    region: str | None = None  # a regional service's region ("Region Hovedstaden"), else None
    questions: tuple[str, ...] = ()  # staff-written example questions it answers, not shown


@dataclass(frozen=True)
class SearchHit:
    passage: Passage
    score: float


@lru_cache(maxsize=20000)
def _trigrams(term: str) -> frozenset[str]:
    padded = f"#{term}#"
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def _ngrams(terms: Counter[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for term, weight in terms.items():
        if term.endswith("*") or term.startswith("@"):
            continue
        padded = f"#{term}#"
        for n in NGRAM_SIZES:
            for i in range(len(padded) - n + 1):
                grams[padded[i:i + n]] += weight
    return grams


class BM25Index:
    """The in-memory index of one knowledge-base snapshot (built once, read-only after)."""

    def __init__(self, passages: Sequence[Passage], *,
                 synonyms: Sequence[SynonymGroup] | Thesaurus = (),
                 topic_model: TopicModel | None = None,
                 crisis_model: CrisisModel | None = None,
                 regions: Mapping[str, str] | None = None) -> None:
        self.passages = list(passages)
        self.regions = dict(regions or {})  # municipality -> its region
        self.topic_model = topic_model
        self.crisis_model = crisis_model
        self.thesaurus = synonyms if isinstance(synonyms, Thesaurus) else Thesaurus(synonyms)
        n = len(self.passages)
        docs: list[Counter[str]] = []
        for p in self.passages:
            terms: Counter[str] = Counter()
            fields = ((p.title, W_TITLE), (p.section, W_SECTION), (p.text, W_TEXT),
                      (p.boost_text, W_EXTRA))
            for text, weight in fields:
                if not text:
                    continue
                weighted_terms(text, weight, terms)
                for gi, count in self.thesaurus.concepts(text).items():
                    terms[f"@{gi}"] += weight * count
            docs.append(terms)

        # BM25 (with weighted term frequencies = BM25F), one row per term, precomputed.
        self._bm25 = BM25(docs)
        self._questions = QuestionIndex([p.questions for p in self.passages], self.thesaurus)

        # Character n-grams: TF-IDF (tf as log(1 + tf)), L2-normalised per passage.
        gram_docs = [_ngrams(d) for d in docs]
        gram_df: Counter[str] = Counter()
        for grams in gram_docs:
            gram_df.update(grams.keys())
        self._gram_idf = {g: math.log((1 + n) / (1 + f)) + 1.0 for g, f in gram_df.items()}
        self._gram_row = {g: r for r, g in enumerate(sorted(gram_df))}
        rows, cols, vals = [], [], []
        for i, grams in enumerate(gram_docs):
            for g, w in self._gram_vector(grams).items():
                rows.append(self._gram_row[g])
                cols.append(i)
                vals.append(w)
        self._grams = SparseRows(rows, cols, vals, len(self._gram_row), n)

        # Per-passage attributes for the filters and boosts.
        self._kinds = np.array([p.kind for p in self.passages], dtype=object)
        self._priority = np.array([p.priority for p in self.passages], dtype=int)
        self._municipalities = np.array([p.municipality or "" for p in self.passages],
                                        dtype=object)
        self._regions = np.array([p.region or "" for p in self.passages], dtype=object)
        self._topic_mask: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n, dtype=bool))
        for i, p in enumerate(self.passages):
            for t in p.topics:
                self._topic_mask[t][i] = True
        self._topic_mask = dict(self._topic_mask)

        # Trigrams of the indexed words, to read unknown query words as their nearest one.
        self._vocab_grams: dict[str, list[str]] = defaultdict(list)
        for term in sorted(self._bm25.idf):
            if len(term) >= 4 and term.isalpha():
                for g in _trigrams(term):
                    self._vocab_grams[g].append(term)
        self._fuzzy_cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def _gram_vector(self, grams: Counter[str]) -> dict[str, float]:
        unseen = math.log(1 + len(self.passages)) + 1.0  # a gram no passage has
        vec = {g: math.log1p(c) * self._gram_idf.get(g, unseen)
               for g, c in grams.items() if c > 0}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {g: w / norm for g, w in vec.items()}

    def _fuzzy(self, term: str) -> tuple[tuple[str, float], ...]:
        """The indexed word(s) nearest to an unknown query word, with their similarity."""
        if term in self._fuzzy_cache:
            return self._fuzzy_cache[term]
        found: tuple[tuple[str, float], ...] = ()
        if len(term) >= 5 and term.isalpha():
            grams = _trigrams(term)
            shared: Counter[str] = Counter()
            for g in grams:
                shared.update(self._vocab_grams.get(g, ()))
            # Danish bends and derives words at the end, so the start must agree.
            best = sorted(((2 * c / (len(grams) + len(_trigrams(t))), t)
                           for t, c in shared.items() if t[:3] == term[:3]),
                          key=lambda x: (-x[0], x[1]))
            if best and best[0][0] >= FUZZY_MIN:
                top = best[0][0]
                found = tuple((t, sim) for sim, t in best[:2]
                              if sim >= max(FUZZY_MIN, top - 0.05))
        if len(self._fuzzy_cache) < 10000:
            self._fuzzy_cache[term] = found
        return found

    def _query(self, query: str) -> tuple[Counter[str], dict[str, float]]:
        """Weighted query terms (words, compound parts, near words, concepts) and the
        topics the concepts point to."""
        q: Counter[str] = Counter()
        weighted_terms(query_text(query), 1.0, q)
        ages = " ".join(age_words(query))
        if ages:  # "er 16" also searches for "ung", a little lower
            weighted_terms(ages, W_AGE, q)
        for term, weight in list(q.items()):
            if term in self._bm25.idf or term.endswith("*"):
                continue
            if term.endswith("s") and term[:-1] in self._bm25.idf:  # genitive: "lokks" -> "lokk"
                q[term[:-1]] += weight
                continue
            for near, sim in self._fuzzy(term):
                q[near] = max(q[near], weight * W_FUZZY * sim)
        concepts = self.thesaurus.concepts(f"{query} {ages}" if ages else query)
        for gi in concepts:
            q[f"@{gi}"] += W_CONCEPT
        return q, self.thesaurus.topics(concepts)

    @staticmethod
    def _dot(matrix: SparseRows, row_of: dict[str, int], weights: dict[str, float]
             ) -> np.ndarray:
        return matrix.weighted_sum([(row_of[t], w) for t, w in weights.items()
                                    if t in row_of and w > 0])

    def search(self, query: str, *, topics: Iterable[str] | None = None,
               municipality: str | None = None, kinds: Iterable[str] | None = None,
               k: int = 3, topic_prior: Mapping[str, float] | None = None
               ) -> list[SearchHit]:
        """Rank passages for `query`. A municipality filter keeps national passages too.

        `topic_prior` (topic -> probability) says what the question is probably about, e.g.
        from the NLU's intent ranking; by default the index's `topic_model` guesses it, and
        `{}` turns the prior off.
        """
        n = len(self.passages)
        if not n or k <= 0:
            return []
        q_terms, q_topics = self._query(query)
        detected = self.crisis_model.topic(query) if self.crisis_model is not None else None
        if not q_terms and not detected:
            return []
        allowed = np.ones(n, dtype=bool)
        topic_set = set(topics or [])
        if topic_set:
            allowed &= np.logical_or.reduce([self._topic_mask.get(t, np.zeros(n, dtype=bool))
                                             for t in sorted(topic_set)])
        kind_set = set(kinds or [])
        if kind_set:
            allowed &= np.isin(self._kinds, sorted(kind_set))
        if municipality:
            allowed &= (self._municipalities == "") | (self._municipalities == municipality)
        lexical = self._bm25.scores(q_terms)
        cosine = self._dot(self._grams, self._gram_row, self._gram_vector(_ngrams(q_terms)))
        asked = self._questions.scores(q_terms)
        keep = allowed & ((lexical > 0) | (cosine >= NGRAM_MIN) | (asked > 0))
        score = lexical + NGRAM_WEIGHT * cosine + W_QUESTION * asked
        if q_topics:
            share = np.zeros(n)
            for t, value in q_topics.items():
                if t in self._topic_mask:
                    share = np.maximum(share, value * self._topic_mask[t])
            score *= 1.0 + TOPIC_BOOST * share
        if topic_prior is None and self.topic_model is not None:
            topic_prior = self.topic_model.predict(query)
        if topic_prior:
            # P(the question's topic is one of the passage's topics)
            prior = np.zeros(n)
            for t, value in topic_prior.items():
                if t in self._topic_mask:
                    prior += value * self._topic_mask[t]
            score *= 1.0 + PRIOR_WEIGHT * np.minimum(prior, 1.0)
        p_policy = policy_level(q_topics, topic_prior)
        if p_policy > 0 and POLICY_TOPIC in self._topic_mask:
            # The (chosen municipality's) policy statements on the policy as a whole.
            own = self._topic_mask[POLICY_TOPIC] & (self._kinds == "statement")
            if municipality:
                own &= self._municipalities == municipality
            score *= np.where(own, 1.0 + POLICY_BOOST * p_policy, 1.0)
        if municipality:
            score *= np.where(self._municipalities == municipality, 1.0 + MUNICIPALITY_BOOST, 1.0)
            region = self.regions.get(municipality)
            if region:  # another region's service (its 1813, its vagtlæge) is for others
                score *= np.where((self._regions != "") & (self._regions != region),
                                  OTHER_REGION_FACTOR, 1.0)
        score = np.round(score, 6)
        keep &= score > 0
        crisis = crisis_topic(detected, topic_prior)
        if crisis:
            # The crisis topic's first-line services go first, whatever the words matched.
            first = self._first_line(crisis, allowed)
            lift = float(score[keep].max()) if keep.any() else 0.0
            score = np.round(np.where(first, score + lift + 1.0, score), 6)
            keep |= first
        # Highest score first; ties by passage id, so results never depend on load order.
        ranked = sorted(np.flatnonzero(keep), key=lambda i: (-score[i], self.passages[i].id))
        return [SearchHit(self.passages[i], float(score[i])) for i in ranked[:k]]

    def _first_line(self, topic: str, allowed: np.ndarray) -> np.ndarray:
        """The allowed services on `topic` with its lowest priority number (112 for
        `emergency`; 112 and Livslinien for `suicide`)."""
        mask = allowed & (self._kinds == "service") & self._topic_mask.get(
            topic, np.zeros(len(self.passages), dtype=bool))
        if not mask.any():
            return mask
        return mask & (self._priority == self._priority[mask].min())
