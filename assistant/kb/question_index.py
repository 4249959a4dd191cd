"""Search over staff-written example questions.

Citizens rarely use a policy's own words: "hvad vil I egentlig med det hele?" asks for the
vision, "jeg vil ikke have at andre bestemmer over mig" for co-determination. Staff give
each statement, service and law a few questions it answers (`questions:` in the knowledge
YAML). Each example question is indexed on its own (BM25 over the same folded lemmas and
thesaurus concepts as the passages), and a passage scores as its best-matching question,
so one close paraphrase counts, however many other questions the passage has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from assistant.kb.analysis import weighted_terms
from assistant.kb.bm25 import BM25
from assistant.kb.thesaurus import Thesaurus

MIN_SHARED = 2  # query terms a question must share with the query to count


class QuestionIndex:
    """BM25 over every example question; a passage's score is its best question's."""

    def __init__(self, questions: Sequence[Sequence[str]], thesaurus: Thesaurus) -> None:
        """`questions[i]`: the example questions of passage i (may be empty)."""
        self.n_passages = len(questions)
        docs: list[Counter[str]] = []
        owners: list[int] = []
        for i, passage_questions in enumerate(questions):
            for question in passage_questions:
                terms: Counter[str] = Counter()
                weighted_terms(question, 1.0, terms)
                for gi, count in thesaurus.concepts(question).items():
                    terms[f"@{gi}"] += count
                if terms:
                    docs.append(terms)
                    owners.append(i)
        self._owners = np.asarray(owners, dtype=np.intp)
        self._bm25 = BM25(docs) if docs else None

    def __len__(self) -> int:
        return len(self._owners)

    def scores(self, query_terms: Mapping[str, float]) -> np.ndarray:
        """Per passage: the BM25 score of its best-matching example question (0 if none)."""
        best = np.zeros(self.n_passages)
        if self._bm25 is None:
            return best
        # Words only (paragraph numbers and ages are the passages' business), and a question
        # counts only when it shares at least MIN_SHARED whole words with the query: one
        # common word ("bot", "liv") in a short question is no paraphrase.
        terms = {t: w for t, w in query_terms.items() if not any(c.isdigit() for c in t)}
        per_question = self._bm25.scores(terms)
        words = {t: w for t, w in terms.items() if not t.startswith("@") and not t.endswith("*")}
        per_question[self._bm25.matched(words) < MIN_SHARED] = 0.0
        np.maximum.at(best, self._owners, per_question)
        return best
