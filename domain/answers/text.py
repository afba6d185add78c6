"""Words for matching: casefolded, å/ä/ö folded, stemmed (Snowball), compounds split, typos fixed.

Folding happens for matching only; nothing folded is ever shown to a person. A question is
read within bounds (issue 24): its first `MAX_QUESTION_CHARS` characters, and only words of a
sane length, so that a pasted page costs no more than a question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import get_close_matches
from functools import lru_cache

import snowballstemmer

from domain.answers.bounds import MAX_QUESTION_CHARS, MAX_WORD_LETTERS, bounded

__all__ = ["MAX_QUESTION_CHARS", "MAX_WORD_LETTERS", "Analyzer", "Vocabulary", "bounded", "words"]

SNOWBALL_LANGUAGES = {"sv": "swedish", "en": "english"}
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "a", "ø": "o"})
_WORD = re.compile(r"[^\W\d_]+")
# A typo is corrected only to a word this similar (difflib's ratio, 0-1: rapidfuzz would cost
# the bot 4 MiB more for the few words a question has), and only in words of at least this
# many letters: shorter ones have too many neighbours.
TYPO_CUTOFF = 0.84
TYPO_MIN_LETTERS = 5
SWAP_MIN_LETTERS = 4
# Each half of a split compound has at least this many letters ("instagram" + "konto"):
# with three, "kommentar" would be "komm" + "tar".
COMPOUND_MIN_PART = 4

# Ages and intervals written with numbers ("en 10-åring", "12 år", "a 13-year-old", "var
# 6:e månad") become words the rule files use: the age (R9), the interval (R12).
_AGE = {
    "sv": re.compile(r"\d{1,2}\s*-?\s*(?:år(?:s|ing(?:ar|en|s)?)?|ar(?:ing)?)(?![^\W\d_])", re.I),
    "en": re.compile(r"\d{1,2}\s*-?\s*(?:years?|yrs?|y/?o)(?:\s*-?\s*old)?(?![^\W\d_])", re.I),
}
_INTERVAL = {
    "sv": re.compile(r"(?:var|varje)\s+\d{1,2}\s*:?\s*(?:e|a)?\s+månad", re.I),
    "en": re.compile(r"every\s+\d{1,2}\s+months?", re.I),
}
AGE_WORD = {"sv": "ålder", "en": "age"}
INTERVAL_WORD = {"sv": "halvår", "en": "half-yearly"}


def with_number_words(text: str, language: str) -> str:
    """The text with ages and intervals in numbers replaced by the rule files' words."""
    text = _AGE[language].sub(f" {AGE_WORD[language]} ", text)
    return _INTERVAL[language].sub(f" {INTERVAL_WORD[language]} ", text)


def words(text: str) -> list[str]:
    """The words of a text, casefolded and with å/ä/ö folded to a/a/o; digits dropped, and
    words too long to be a question's."""
    normalised = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    return [word for word in _WORD.findall(normalised) if len(word) <= MAX_WORD_LETTERS]


class Analyzer:
    """Turns words of one language into terms: stems, and the stems of a compound's parts.

    A platform's name ("Instagram", "insta", "tiktok") is one term, `PLATFORM`: it says the
    question is about social media, never which rule.
    """

    PLATFORM = "plattform"

    def __init__(
        self,
        language: str,
        stopwords: Iterable[str],
        platforms: Iterable[str] = (),
    ) -> None:
        self.language = language
        self._stemmer = snowballstemmer.stemmer(SNOWBALL_LANGUAGES[language])
        self._stopwords = frozenset(word for text in stopwords for word in words(text))
        self._platforms = frozenset(word for text in platforms for word in words(text))
        self.stem = lru_cache(maxsize=8192)(self._stem)

    def _stem(self, word: str) -> str:
        if word in self._platforms:
            return self.PLATFORM
        return str(self._stemmer.stemWord(word))

    def content_words(self, text: str) -> list[str]:
        """The words that carry meaning: no stopwords, no single letters."""
        text = with_number_words(text, self.language)
        return [word for word in words(text) if len(word) > 1 and word not in self._stopwords]


class Vocabulary:
    """The words and stems of the rule files, to split compounds and correct typos against."""

    def __init__(self, analyzer: Analyzer, corpus_words: Iterable[str]) -> None:
        self._analyzer = analyzer
        self._words = sorted(set(corpus_words))
        self._known_words = frozenset(self._words)
        self._stems = frozenset(analyzer.stem(word) for word in self._words)
        # Typos are looked for among words with the same first letter: few typos are there,
        # and "svarar" is then not "ansvarar".
        self._by_letter: dict[str, list[str]] = {}
        for word in self._words:
            self._by_letter.setdefault(word[0], []).append(word)
        self.query_terms = lru_cache(maxsize=8192)(self._query_terms)

    def corpus_terms(self, word: str) -> list[str]:
        """A rule file's word as terms: its stem, and its parts' stems when it is a compound
        (a platform's name is one term: "facebook" is no face and no book)."""
        stem = self._analyzer.stem(word)
        return [stem] if stem == Analyzer.PLATFORM else [stem, *self.split(word)]

    def _query_terms(self, word: str) -> list[str]:
        """A typed word as terms: known as it is, else corrected, else split as a compound
        (a known or corrected word brings its parts too, as in the rule files).

        Correction comes first: an inflection the stemmer missed ("kommentarer") is a near
        neighbour of a known word, while a compound ("instagramkonto") is not.
        """
        stem = self._analyzer.stem(word)
        if stem in self._stems or word in self._known_words:
            return self.corpus_terms(word)
        if len(word) >= SWAP_MIN_LETTERS:
            # Two letters typed the wrong way round ("plnaen", "flim"): a typo that a
            # similarity ratio scores low.
            for at in range(len(word) - 1):
                swapped = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
                if swapped in self._known_words:
                    return self.corpus_terms(swapped)
        if len(word) >= TYPO_MIN_LETTERS:
            found = get_close_matches(
                word, self._by_letter.get(word[0], ()), n=1, cutoff=TYPO_CUTOFF
            )
            if found:
                return self.corpus_terms(found[0])
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
