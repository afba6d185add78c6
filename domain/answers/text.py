"""Words for matching: casefolded, å/ä/ö folded, stemmed (Snowball), compounds split, typos fixed.

Folding happens for matching only; nothing folded is ever shown to a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

SNOWBALL_LANGUAGES = {"sv": "swedish", "en": "english"}
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "a", "ø": "o"})
_WORD = re.compile(r"[^\W\d_]+")
# A typo is corrected only to a word this similar (rapidfuzz ratio, 0-100), and only in words
# of at least this many letters: shorter ones have too many neighbours.
TYPO_CUTOFF = 84.0
TYPO_MIN_LETTERS = 5
# Each half of a split compound has at least this many letters ("instagram" + "konto"):
# with three, "kommentar" would be "komm" + "tar".
COMPOUND_MIN_PART = 4


def words(text: str) -> list[str]:
    """The words of a text, casefolded and with å/ä/ö folded to a/a/o; digits dropped."""
    normalised = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    return _WORD.findall(normalised)


class Analyzer:
    """Turns words of one language into terms: stems, and the stems of a compound's parts."""

    def __init__(self, language: str, stopwords: Iterable[str]) -> None:
        self.language = language
        self._stemmer = snowballstemmer.stemmer(SNOWBALL_LANGUAGES[language])
        self._stopwords = frozenset(word for text in stopwords for word in words(text))
        self.stem = lru_cache(maxsize=4096)(self._stem)

    def _stem(self, word: str) -> str:
        return str(self._stemmer.stemWord(word))

    def content_words(self, text: str) -> list[str]:
        """The words that carry meaning: no stopwords, no single letters."""
        return [word for word in words(text) if len(word) > 1 and word not in self._stopwords]


class Vocabulary:
    """The words and stems of the rule files, to split compounds and correct typos against."""

    def __init__(self, analyzer: Analyzer, corpus_words: Iterable[str]) -> None:
        self._analyzer = analyzer
        self._words = sorted(set(corpus_words))
        self._known_words = frozenset(self._words)
        self._stems = frozenset(analyzer.stem(word) for word in self._words)

    def corpus_terms(self, word: str) -> list[str]:
        """A rule file's word as terms: its stem, and its parts' stems when it is a compound."""
        return [self._analyzer.stem(word), *self.split(word)]

    def query_terms(self, word: str) -> list[str]:
        """A typed word as terms: known as it is, else corrected, else split as a compound.

        Correction comes first: an inflection the stemmer missed ("kommentarer") is a near
        neighbour of a known word, while a compound ("instagramkonto") is not.
        """
        stem = self._analyzer.stem(word)
        if stem in self._stems:
            return [stem]
        if len(word) >= TYPO_MIN_LETTERS:
            found = process.extractOne(
                word, self._words, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if found is not None:
                return [self._analyzer.stem(str(found[0]))]
        return self.split(word) or [stem]

    def split(self, word: str) -> list[str]:
        """Two known parts of a compound ("fritidsgarden" -> fritid + gard), else nothing.

        The longest known head wins; a Swedish linking "s" (fritid-s-gården) may join them.
        """
        stem = self._analyzer.stem
        for cut in range(len(word) - COMPOUND_MIN_PART, COMPOUND_MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            tail_stem = stem(tail)
            if tail_stem not in self._stems and tail not in self._known_words:
                continue
            for candidate in (head, head[:-1] if head.endswith("s") else ""):
                if len(candidate) < COMPOUND_MIN_PART:
                    continue
                if candidate in self._known_words or stem(candidate) in self._stems:
                    return [stem(candidate), tail_stem]
        return []
