"""The rule files, and finding the rules a typed question is about.

Each rule (`knowledge/rules/R03.toml`) and each wish (`knowledge/wishes/*.toml`) brings the
ways people ask about it; every way is one short BM25 document. A question is answered from
the entry whose best document scores highest, with up to two more entries that score close
to it and answer words of the question the first did not. Nothing is cited unless the score
is high enough and the cited entries cover enough of the question's meaningful words: a
question about the weather shares no words with the rules, and gets no rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from domain.answers.bm25 import Bm25
from domain.answers.extra import read_additions
from domain.answers.text import Analyzer, Vocabulary, words

LANGUAGES = ("sv", "en")
# The best entry must score at least this much ...
MIN_SCORE = 2.5
# ... and the cited entries must match this share of the question's words (by idf weight).
MIN_COVERAGE = 0.55
# A runner-up is cited too when it scores this close to the best and matches other words.
CLOSE = 0.6
MAX_CITED = 3
# A question is its first words: a pasted page costs no more than a question.
MAX_QUESTION_WORDS = 40
# Every cited entry matches two words of the question: one ("Instagram") says too little ...
MIN_MATCHED_WORDS = 2
# ... unless the text is one word and the runner-up scores at most this share of the best.
SINGLE_WORD_MARGIN = 0.5


@dataclass(frozen=True)
class Entry:
    """A rule or a wish from the knowledge files."""

    key: str  # "R3", or "wish:new_channel"
    rules: tuple[str, ...]  # the rule ids an answer cites
    flows: tuple[str, ...]  # the commands an answer offers as buttons
    template: str  # a key of the policy's [templates]; empty: none
    quotes: dict[str, str]  # language -> the guideline's sentence (sv verbatim)
    questions: dict[str, tuple[str, ...]]  # language -> ways of asking, keywords last

    @property
    def wish(self) -> str | None:
        """The wish's name, or None for a rule."""
        return self.key.removeprefix("wish:") if self.key.startswith("wish:") else None


@dataclass(frozen=True)
class Finding:
    """What a question is about: a wish and/or rules, best first; nothing when unsure."""

    wish: str | None = None
    rules: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.rules or self.wish)


def _folder() -> Traversable:
    return files("domain.answers") / "knowledge"


def _tomls(folder: Traversable) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    parts = sorted(folder.iterdir(), key=lambda item: item.name)
    return [
        tomllib.loads(p.read_text(encoding="utf-8")) for p in parts if p.name.endswith(".toml")
    ]


def _entry(data: dict[str, Any]) -> Entry:
    wish = data.get("wish")
    rule = str(data.get("rule", ""))
    sections = {language: data.get(language, {}) for language in LANGUAGES}
    return Entry(
        key=f"wish:{wish}" if wish else rule,
        rules=tuple(data.get("rules", [rule] if rule else [])),
        flows=tuple(data.get("flows", [])),
        template=str(data.get("template", "")),
        quotes={lang: str(section.get("quote", "")) for lang, section in sections.items()},
        questions={
            lang: (*section.get("questions", []), " ".join(section.get("keywords", [])))
            for lang, section in sections.items()
        },
    )


@cache
def shipped() -> tuple[Entry, ...]:
    """Every rule and wish of the shipped knowledge files, rules first."""
    folder = _folder()
    found = [_entry(data) for name in ("rules", "wishes") for data in _tomls(folder / name)]
    return tuple(found)


@cache
def entries(extra_dir: str = "") -> tuple[Entry, ...]:
    """The shipped entries with the municipality's own ways of asking (`answers.extra_dir`)."""
    found = shipped()
    if not extra_dir:
        return found
    additions = read_additions(Path(extra_dir), frozenset(e.key for e in found))
    return tuple(
        replace(
            item,
            questions={
                language: (
                    *item.questions[language],
                    *(q for a in additions if a.key == item.key for q in a.questions[language]),
                )
                for language in item.questions
            },
        )
        for item in found
    )


def entry(key: str, extra_dir: str = "") -> Entry:
    """The entry of a rule id ("R3") or a wish ("wish:new_channel"); KeyError if unknown."""
    for candidate in entries(extra_dir):
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def stopwords(language: str) -> tuple[str, ...]:
    """A word list of stopwords.toml: "sv" (no meaning for matching), "sv_wishing" (a wish)."""
    data = tomllib.loads((_folder() / "stopwords.toml").read_text(encoding="utf-8"))
    return tuple(data.get(language, []))


class Index:
    """The BM25 index of one language's ways of asking, with the vocabulary they use."""

    def __init__(self, language: str, knowledge: Sequence[Entry]) -> None:
        self._analyzer = Analyzer(language, stopwords(language))
        texts = [(item, text) for item in knowledge for text in item.questions[language] if text]
        quote_words = [w for item in knowledge for w in words(item.quotes.get(language, ""))]
        self._vocabulary = Vocabulary(
            self._analyzer,
            [w for _, text in texts for w in self._analyzer.content_words(text)] + quote_words,
        )
        self._owners = [item for item, _ in texts]
        self._documents = [self._terms(text, corpus=True) for _, text in texts]
        self._entry_terms: dict[str, set[str]] = {}
        for owner, document in zip(self._owners, self._documents, strict=True):
            self._entry_terms.setdefault(owner.key, set()).update(document)
        self._wishing = frozenset(
            w for text in stopwords(f"{language}_wishing") for w in words(text)
        )
        self._bm25 = Bm25(self._documents)
        idfs = sorted(self._bm25.idf(term) for document in self._documents for term in document)
        self._typical_idf = idfs[len(idfs) // 2] if idfs else 1.0

    def _weight(self, terms: list[str]) -> float:
        """How much a word of the question counts: its idf; an unknown word, a typical one."""
        known = [self._bm25.idf(term) for term in terms if self._bm25.knows(term)]
        return max(known) if known else self._typical_idf

    def _terms(self, text: str, *, corpus: bool) -> list[str]:
        vocabulary = self._vocabulary
        terms_of = vocabulary.corpus_terms if corpus else vocabulary.query_terms
        return [term for word in self._analyzer.content_words(text) for term in terms_of(word)]

    def find(self, text: str) -> Finding:
        """The wish or rules the text asks about, or an empty Finding when unsure."""
        question = {
            word: self._vocabulary.query_terms(word)
            for word in self._analyzer.content_words(text)[:MAX_QUESTION_WORDS]
        }
        if not question:
            return Finding()
        scores = self._bm25.scores([term for terms in question.values() for term in terms])
        best: dict[str, float] = {}
        for owner, score in zip(self._owners, scores, strict=True):
            best[owner.key] = max(score, best.get(owner.key, 0.0))
        # Each entry answers at least two words of the question (a one-word text: that one),
        # so that three rules that match a word each never add up to an answer.
        enough = min(MIN_MATCHED_WORDS, len(question))
        ranked = sorted(
            (key for key in best if len(self._matched(key, question)) >= enough),
            key=lambda key: -best[key],
        )
        ranked = self._wish_or_rule(ranked, best, wishing=bool(set(words(text)) & self._wishing))
        if not ranked or best[ranked[0]] < MIN_SCORE:
            return Finding()
        cited, covered = self._cite(ranked, best, question)
        weight = {word: self._weight(terms) for word, terms in question.items()}
        if sum(weight[word] for word in covered) < MIN_COVERAGE * sum(weight.values()):
            return Finding()
        # A one-word text only when that word points at one entry clearly
        # ("halvårsdokumentation"), not at several ("Instagram").
        one_word = len(question) == 1 and len(ranked) > 1
        if one_word and best[ranked[1]] > SINGLE_WORD_MARGIN * best[ranked[0]]:
            return Finding()
        first = cited[0]
        rules = first.rules if first.wish else tuple(r for item in cited for r in item.rules)
        flows = tuple(dict.fromkeys(flow for item in cited for flow in item.flows))
        return Finding(wish=first.wish, rules=rules[:MAX_CITED], flows=flows)

    @staticmethod
    def _wish_or_rule(ranked: list[str], best: dict[str, float], *, wishing: bool) -> list[str]:
        """Puts a wish first when the text wishes and one scores close to the best, else a rule."""
        if not ranked:
            return ranked
        top = best[ranked[0]]
        close = [key for key in ranked if best[key] >= CLOSE * top]
        preferred = [key for key in close if key.startswith("wish:") == wishing]
        if not preferred or preferred[0] == ranked[0]:
            return ranked
        return [preferred[0], *(key for key in ranked if key != preferred[0])]

    def _cite(
        self, ranked: list[str], best: dict[str, float], question: dict[str, list[str]]
    ) -> tuple[list[Entry], set[str]]:
        """The best entry and up to two close ones that answer other words of the question."""
        top = best[ranked[0]]
        cited: list[Entry] = []
        covered: set[str] = set()
        for key in ranked:
            if len(cited) == MAX_CITED or best[key] < CLOSE * top:
                break
            new = self._matched(key, question) - covered
            if cited and (
                cited[0].wish is not None
                or key.startswith("wish:")
                # A second rule answers a word of its own, not a common one such as a
                # platform's name that many rules mention.
                or sum(self._weight(question[word]) for word in new) < self._typical_idf
            ):
                continue
            cited.append(entry(key))
            covered |= new
        return cited, covered

    def _matched(self, key: str, question: dict[str, list[str]]) -> set[str]:
        """The words of the question that some way of asking about the entry has."""
        terms = self._entry_terms[key]
        return {word for word, word_terms in question.items() if terms.intersection(word_terms)}


@cache
def index(language: str, extra_dir: str = "") -> Index:
    """The index of a language, built once per process on first use."""
    return Index(language, entries(extra_dir))


def find(text: str, language: str, extra_dir: str = "") -> Finding:
    """The rules (and wish) a typed text is about: in the reader's language first.

    A Swedish question from a client set to English (the Agents Playground always says en-US)
    is still understood, from the Swedish ways of asking.
    """
    first = language if language in LANGUAGES else LANGUAGES[0]
    for candidate in (first, *(other for other in LANGUAGES if other != first)):
        if finding := index(candidate, extra_dir).find(text):
            return finding
    return Finding()


def all_rule_ids() -> Iterable[str]:
    """The rule ids that have a knowledge file."""
    return (item.key for item in entries() if item.wish is None)
