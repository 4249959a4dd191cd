"""BM25 weights over term-frequency documents, as a sparse term x document matrix."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

K1 = 1.4
B = 0.75


class SparseRows:
    """A sparse term x document matrix kept as one (documents, values) pair per row, so a
    query's few rows are summed without any per-document Python loop."""

    def __init__(self, rows: list[int], cols: list[int], vals: list[float], n_rows: int,
                 n_cols: int) -> None:
        self.n_cols = n_cols
        by_row: list[tuple[list[int], list[float]]] = [([], []) for _ in range(n_rows)]
        for r, c, v in zip(rows, cols, vals, strict=True):
            by_row[r][0].append(c)
            by_row[r][1].append(v)
        self._cols = [np.asarray(c, dtype=np.intp) for c, _ in by_row]
        self._vals = [np.asarray(v, dtype=float) for _, v in by_row]

    def weighted_sum(self, pairs: Sequence[tuple[int, float]]) -> np.ndarray:
        """Sum of `weight * row` over (row, weight) pairs, as a dense document vector."""
        if not pairs:
            return np.zeros(self.n_cols)
        cols = np.concatenate([self._cols[r] for r, _ in pairs])
        vals = np.concatenate([self._vals[r] * w for r, w in pairs])
        return np.bincount(cols, weights=vals, minlength=self.n_cols).astype(float)


class BM25:
    """BM25 with weighted term frequencies (BM25F when the weights are field weights).

    Terms starting with "@" (thesaurus concepts) count for matching but not for a
    document's length.
    """

    def __init__(self, docs: Sequence[Mapping[str, float]], k1: float = K1,
                 b: float = B) -> None:
        n = len(docs)
        lengths = np.array([sum(v for t, v in d.items() if not t.startswith("@"))
                            for d in docs], dtype=float)
        avg = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.term_row = {t: r for r, t in enumerate(sorted(df))}
        rows, cols, vals = [], [], []
        for i, d in enumerate(docs):
            for t, tf in d.items():
                norm = tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / avg))
                rows.append(self.term_row[t])
                cols.append(i)
                vals.append(self.idf[t] * norm)
        self.matrix = SparseRows(rows, cols, vals, len(self.term_row), n)
        self.present = SparseRows(rows, cols, [1.0] * len(vals), len(self.term_row), n)

    def scores(self, weights: Mapping[str, float]) -> np.ndarray:
        """Every document's score for weighted query terms (unknown terms are ignored)."""
        pairs = [(self.term_row[t], w) for t, w in weights.items()
                 if t in self.term_row and w > 0]
        return self.matrix.weighted_sum(pairs)

    def matched(self, weights: Mapping[str, float]) -> np.ndarray:
        """Per document: how many of the query's terms it contains."""
        pairs = [(self.term_row[t], 1.0) for t, w in weights.items()
                 if t in self.term_row and w > 0]
        return self.present.weighted_sum(pairs)
