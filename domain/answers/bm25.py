"""Okapi BM25 over short documents (the ways people ask about a rule).

Written here rather than taken from `rank-bm25`: that library imports numpy, which adds about
17 MB to the bot's resident memory, and the bot's budget has less headroom than that. The
formula is the usual one, with Lucene's always-positive idf.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

K1 = 1.5
B = 0.75


class Bm25:
    """Scores documents (lists of terms) against a query's terms."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> None:
        self._k1 = k1
        self._b = b
        self._counts = [Counter(document) for document in documents]
        self._lengths = [len(document) for document in documents]
        self._average = sum(self._lengths) / len(documents) if documents else 0.0
        frequency: Counter[str] = Counter()
        for counts in self._counts:
            frequency.update(counts.keys())
        total = len(documents)
        self._idf = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }
        # A term no document has: what a term in no document would weigh.
        self.unknown_idf = math.log(1 + (total + 0.5) / 0.5)

    def idf(self, term: str) -> float:
        """How rare a term is among the documents (an unknown term weighs the most)."""
        return self._idf.get(term, self.unknown_idf)

    def knows(self, term: str) -> bool:
        """Tells whether any document has the term."""
        return term in self._idf

    def scores(self, query: Sequence[str]) -> list[float]:
        """The BM25 score of every document for the query's terms, in document order."""
        terms = [term for term in dict.fromkeys(query) if term in self._idf]
        result = []
        for counts, length in zip(self._counts, self._lengths, strict=True):
            norm = self._k1 * (1 - self._b + self._b * length / (self._average or 1.0))
            score = 0.0
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    score += self._idf[term] * tf * (self._k1 + 1) / (tf + norm)
            result.append(score)
        return result
