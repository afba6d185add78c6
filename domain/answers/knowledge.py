"""The rule files, and finding the rules a typed question is about (issues 14, 26).

Each rule (`knowledge/rules/R03.toml`) and each wish (`knowledge/wishes/*.toml`) brings the
ways people ask about it, its key words and its synonyms (its anchors). The whole question is
scored (BM25) against each entry's document (all of it) and its best way of asking; the best
entry that has an anchor in the question is answered, with up to two more that score close
and have anchors of their own. What the rules do not answer (`knowledge/outside.toml`: how
to use a platform, when to post, followers, HR and IT) is an entry too: a question closer to
it than to a rule gets no rule. Nothing is cited unless the score is high enough: a question
about the weather shares no anchor with the rules, and gets no rule.
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
from domain.answers.extra import OUTSIDE, read_additions
from domain.answers.text import Analyzer, Vocabulary, bounded, words

LANGUAGES = ("sv", "en")
# The best entry must score at least this much (its document's score plus its best way of
# asking's, weighted) ...
MIN_SCORE = 6.0
QUESTION_WEIGHT = 0.5
# ... and the question must hold one of its anchors (a key word or synonym of its file) that
# at most this many entries share.
MAX_ANCHOR_SHARE = 2
# Anchors count this many times in an entry's document ...
ANCHOR_REPEAT = 4
# ... whose length counts this much (BM25's b): an entry with many ways of asking is no less
# likely to be the one asked about.
ENTRY_B = 0.0
# An anchor written "=word" matches that word as typed (folded), unstemmed.
EXACT = "="
# A runner-up is cited too when it scores this close to the best and has anchors of its own.
CLOSE = 0.6
# A question whose words about what the rules do not answer score this close to the best
# rule gets no rule.
OUTSIDE_CLOSE = 0.5
MAX_CITED = 3
# A question is its first words: a pasted page costs no more than a question (issue 24).
MAX_QUESTION_WORDS = 40


# A key word or phrase of an entry: per word, its stem and the stems of its compound's parts.
Anchor = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Entry:
    """A rule or a wish from the knowledge files."""

    key: str  # "R3", or "wish:new_channel"
    rules: tuple[str, ...]  # the rule ids an answer cites
    flows: tuple[str, ...]  # the commands an answer offers as buttons
    template: str  # a key of the policy's [templates]; empty: none
    quotes: dict[str, str]  # language -> the guideline's sentence (sv verbatim)
    questions: dict[str, tuple[str, ...]]  # language -> ways of asking
    anchors: dict[str, tuple[str, ...]]  # language -> key words and synonyms

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
    # Nothing, because the question is about what the rules do not answer (outside.toml).
    outside: bool = False

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
            lang: tuple(section.get("questions", [])) for lang, section in sections.items()
        },
        anchors={
            lang: (*section.get("keywords", []), *section.get("synonyms", []))
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
def _shipped_outside() -> Entry:
    data = tomllib.loads((_folder() / "outside.toml").read_text(encoding="utf-8"))
    return replace(_entry(data), key=OUTSIDE)


@cache
def entries(extra_dir: str = "") -> tuple[Entry, ...]:
    """The shipped entries with the municipality's own ways of asking (`answers.extra_dir`)."""
    return _with_additions(shipped(), extra_dir)


@cache
def outside(extra_dir: str = "") -> Entry:
    """What the rules do not answer (`outside.toml`: platform how-tos, HR, IT), with the
    municipality's additions: a question closest to it gets no rule."""
    return _with_additions((_shipped_outside(),), extra_dir)[0]


def _with_additions(found: tuple[Entry, ...], extra_dir: str) -> tuple[Entry, ...]:
    if not extra_dir:
        return found
    known = frozenset(e.key for e in shipped()) | {OUTSIDE}
    additions = read_additions(Path(extra_dir), known)
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
            anchors={
                language: (
                    *item.anchors[language],
                    *(w for a in additions if a.key == item.key for w in a.anchors[language]),
                )
                for language in item.anchors
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
    """A word list of stopwords.toml: "sv" (no meaning for matching), "sv_wishing" (a wish),
    "sv_context" (the schools' words: for splitting compounds), "platforms" (the names of
    social media platforms)."""
    data = tomllib.loads((_folder() / "stopwords.toml").read_text(encoding="utf-8"))
    return tuple(data.get(language, []))


class Index:
    """One language's knowledge: every entry as one BM25 document, and each way of asking too.

    An entry's document holds its ways of asking, its key words and synonyms (counted
    `ANCHOR_REPEAT` times: they say the most) and the guideline's sentence. A question is
    scored against both; the entry whose score is highest wins if the question has one of
    its key words or synonyms (its anchors) and the score is high enough.
    """

    def __init__(self, language: str, knowledge: Sequence[Entry]) -> None:
        self._analyzer = Analyzer(language, stopwords(language), stopwords("platforms"))
        self._entries = list(knowledge)
        content = self._analyzer.content_words
        corpus = [
            word
            for item in knowledge
            for text in (*item.questions[language], *item.anchors[language])
            for word in content(text)
        ] + [w for item in knowledge for w in words(item.quotes.get(language, ""))]
        corpus += [w for text in stopwords(f"{language}_context") for w in content(text)]
        self._vocabulary = Vocabulary(self._analyzer, corpus)
        self._owners: list[int] = []
        documents: list[list[str]] = []
        entry_documents: list[list[str]] = []
        self._anchors: list[tuple[Anchor, ...]] = []
        for number, item in enumerate(knowledge):
            asked = [self._terms(text) for text in item.questions[language] if text]
            anchor_terms = [
                self._terms(text.removeprefix(EXACT)) for text in item.anchors[language]
            ]
            self._owners += [number] * len(asked)
            documents += asked
            self._anchors.append(tuple(a for a in map(self._anchor, item.anchors[language]) if a))
            entry_documents.append(
                [t for terms in asked for t in terms]
                + [t for terms in anchor_terms for t in terms] * ANCHOR_REPEAT
                + self._terms(item.quotes.get(language, ""))
            )
        self._wishing = frozenset(
            w for text in stopwords(f"{language}_wishing") for w in words(text)
        )
        self._bm25 = Bm25(documents)
        self._entry_bm25 = Bm25(entry_documents, b=ENTRY_B)
        # An anchor that many entries share (a platform, "konto") points at none of them.
        shared: dict[Anchor, int] = {}
        for item, anchors in zip(knowledge, self._anchors, strict=True):
            # A wish's anchors are its rules' words: they are not counted as shared.
            for anchor in set(anchors) if item.wish is None else ():
                shared[anchor] = shared.get(anchor, 0) + 1
        self._strong = [
            tuple(a for a in dict.fromkeys(anchors) if shared.get(a, 0) <= MAX_ANCHOR_SHARE)
            for anchors in self._anchors
        ]

    def _anchor(self, text: str) -> Anchor:
        """A key word or phrase: per word, its stem or, for a compound, all of its parts.

        A phrase written "=har skapat" is matched word for word, unstemmed: "skapat" is not
        "skapa" (after the account is created, R8, is not before, R2).
        """
        if text.startswith(EXACT):
            return tuple((EXACT + word, ()) for word in words(text))
        # A platform's name is no anchor: it says the question is about social media, not
        # which rule ("Instagram" alone is no question about starting a channel).
        return tuple(
            (stem, tuple(self._vocabulary.split(word)))
            for word in self._analyzer.content_words(text)
            if (stem := self._analyzer.stem(word)) != Analyzer.PLATFORM
        )

    def _terms(self, text: str) -> list[str]:
        vocabulary = self._vocabulary
        return [
            term
            for word in self._analyzer.content_words(text)
            for term in vocabulary.corpus_terms(word)
        ]

    def scores(self, text: str) -> tuple[dict[str, list[str]], list[float]]:
        """The question's words with their terms, and every entry's score for them."""
        question = {
            word: self._vocabulary.query_terms(word)
            for word in self._analyzer.content_words(bounded(text))[:MAX_QUESTION_WORDS]
        }
        terms = [term for found in question.values() for term in found]
        best = [0.0] * len(self._entries)
        for owner, score in zip(self._owners, self._bm25.scores(terms), strict=True):
            best[owner] = max(best[owner], score)
        entry_scores = self._entry_bm25.scores(terms)
        combined = [e + QUESTION_WEIGHT * q for e, q in zip(entry_scores, best, strict=True)]
        return question, combined

    def find(self, text: str) -> Finding:
        """The wish or rules the text asks about, or an empty Finding when unsure."""
        question, scores = self.scores(text)
        if not question:
            return Finding()
        exact = {EXACT + word for word in words(bounded(text))[: MAX_QUESTION_WORDS * 2]}
        anchored = {
            number: self._anchored(number, question, exact) for number in range(len(self._entries))
        }
        ranked = sorted(
            (number for number, words_ in anchored.items() if words_),
            key=lambda number: -scores[number],
        )
        ranked = self._more_specific(ranked, scores, anchored)
        ranked = self._wish_or_rule(
            ranked, scores, wishing=bool(set(words(bounded(text))) & self._wishing)
        )
        if not ranked or max(scores[n] for n in ranked) < MIN_SCORE:
            return Finding()
        if self._outside(ranked, scores, anchored):
            return Finding(outside=True)
        cited = self._cite(ranked, scores, anchored)
        first = cited[0]
        rules = first.rules if first.wish else tuple(r for item in cited for r in item.rules)
        flows = tuple(dict.fromkeys(flow for item in cited for flow in item.flows))
        return Finding(wish=first.wish, rules=rules[:MAX_CITED], flows=flows)

    def _more_specific(
        self, ranked: list[int], scores: list[float], anchored: dict[int, set[Anchor]]
    ) -> list[int]:
        """Puts first a close runner-up whose anchor says more than all of the best's: "delete
        the account" (R13) over "delete" (R11)."""
        if len(ranked) < 2:
            return ranked
        top = ranked[0]
        words_of = [frozenset(stem for stem, _ in anchor) for anchor in anchored[top]]
        for number in ranked[1:]:
            if scores[number] < CLOSE * scores[top]:
                break
            theirs = [frozenset(stem for stem, _ in anchor) for anchor in anchored[number]]
            if all(any(mine < their for their in theirs) for mine in words_of):
                return [number, *(n for n in ranked if n != number)]
        return ranked

    def _outside(
        self, ranked: list[int], scores: list[float], anchored: dict[int, set[Anchor]]
    ) -> bool:
        """Whether the question is about what the rules do not answer, or close enough to it
        ("the password of my computer") that a rule would be a guess: the rule has no more
        anchors in the question than what the rules do not answer has."""
        outside = [n for n in ranked if self._entries[n].key == OUTSIDE]
        if not outside:
            return False
        top, other = scores[ranked[0]], scores[outside[0]]
        return other >= top or (
            other >= OUTSIDE_CLOSE * top and len(anchored[outside[0]]) >= len(anchored[ranked[0]])
        )

    def _anchored(
        self, number: int, question: dict[str, list[str]], exact: set[str]
    ) -> set[Anchor]:
        """The entry's strong anchors that the question has (every word of a phrase)."""
        terms = {term for found in question.values() for term in found} | exact
        return {
            anchor
            for anchor in self._strong[number]
            if all(stem in terms or (parts and terms.issuperset(parts)) for stem, parts in anchor)
        }

    def _wish_or_rule(self, ranked: list[int], scores: list[float], *, wishing: bool) -> list[int]:
        """Puts a wish first when the text wishes and one scores close to the best, else a rule."""
        if not ranked:
            return ranked
        first = self._entries[ranked[0]]
        top = scores[ranked[0]]
        close = [n for n in ranked if scores[n] >= CLOSE * top]
        preferred = [n for n in close if (self._entries[n].wish is not None) == wishing]
        if wishing and first.wish is None:
            # The wish that does what the rule asked about is about: to publish a photo (R9),
            # not to start a channel.
            preferred = [n for n in preferred if first.key in self._entries[n].rules]
        if not preferred or preferred[0] == ranked[0]:
            return ranked
        return [preferred[0], *(n for n in ranked if n != preferred[0])]

    def _cite(
        self, ranked: list[int], scores: list[float], anchored: dict[int, set[Anchor]]
    ) -> list[Entry]:
        """The best entry and up to two close ones with anchors of their own in the question."""
        top = scores[ranked[0]]
        cited = [self._entries[ranked[0]]]
        covered = set(anchored[ranked[0]])
        for number in ranked[1:]:
            if len(cited) == MAX_CITED or scores[number] < CLOSE * top:
                break
            item = self._entries[number]
            new = anchored[number] - covered
            if cited[0].wish is not None or item.wish is not None or not new:
                continue
            if item.key == OUTSIDE:
                continue
            cited.append(item)
            covered |= new
        return cited


@cache
def index(language: str, extra_dir: str = "") -> Index:
    """The index of a language, built once per process on first use."""
    return Index(language, (*entries(extra_dir), outside(extra_dir)))


def find(text: str, language: str, extra_dir: str = "") -> Finding:
    """The rules (and wish) a typed text is about: in the reader's language first.

    A Swedish question from a client set to English (the Agents Playground always says en-US)
    is still understood, from the Swedish ways of asking.
    """
    first = language if language in LANGUAGES else LANGUAGES[0]
    for candidate in (first, *(other for other in LANGUAGES if other != first)):
        finding = index(candidate, extra_dir).find(text)
        if finding or finding.outside:
            return finding
    return Finding()


def all_rule_ids() -> Iterable[str]:
    """The rule ids that have a knowledge file."""
    return (item.key for item in entries() if item.wish is None)
