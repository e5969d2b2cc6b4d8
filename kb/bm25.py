"""Okapi BM25 over the index's passages, with precomputed per-posting weights.

Built from the passage texts when an index is loaded (no extra file to keep
in step). A query costs one numpy scatter-add per distinct query term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.fromiter((len(d) for d in documents), dtype=np.float32, count=self.size)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc, tokens in enumerate(documents):
            for term, tf in Counter(tokens).items():
                entry = postings.get(term)
                if entry is None:
                    postings[term] = ([doc], [tf])
                else:
                    entry[0].append(doc)
                    entry[1].append(tf)
        norm = k1 * (1.0 - b + b * lengths / average)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (docs, tfs) in postings.items():
            idx = np.asarray(docs, dtype=np.int32)
            tf = np.asarray(tfs, dtype=np.float32)
            df = len(docs)
            idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
            self._postings[term] = (idx, (idf * tf * (k1 + 1.0) / (tf + norm[idx])).astype(np.float32))

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """One score per document (0 where no term matches)."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in dict.fromkeys(terms):
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out

    def top(self, terms: Sequence[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the best ``k`` documents with a score above zero."""
        scores = self.scores(terms)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if candidates.size > k:
            part = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[part]
        order = np.argsort(-scores[candidates], kind="stable")
        best = candidates[order]
        return best, scores[best]
