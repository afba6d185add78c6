"""A representative instance of every card the bot sends, in every language.

Adding a card builder to `cards/` means adding one line to `SAMPLE_CARDS`; the checks in
tests/cards (official schema, official renderer, Teams limits) then run on it, and
`test_every_card_builder_has_a_sample` fails until it is there. A builder whose variants show
different elements gets one line per variant. Views are synthetic and as long as real ones
get, so that the size check means something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cards.help import help_card
from cards.i18n import LANGUAGES, Texts
from cards.welcome import WelcomeView, welcome_card

CardBuilder = Callable[[Texts], dict[str, Any]]

SAMPLE_CARDS: list[tuple[str, CardBuilder]] = [
    ("welcome", lambda texts: welcome_card(WelcomeView(first_name="Signe-Marie"), texts)),
    ("welcome_without_name", lambda texts: welcome_card(WelcomeView(first_name=""), texts)),
    ("help", help_card),
]


@dataclass(frozen=True)
class SampleCard:
    """One sample card built in one language."""

    name: str
    language: str
    card: dict[str, Any]

    @property
    def id(self) -> str:
        """The sample's test id, e.g. "welcome-sv"."""
        return f"{self.name}-{self.language}"

    def __str__(self) -> str:
        return self.id


def sample_cards() -> list[SampleCard]:
    """Builds every sample card in every catalog language."""
    return [
        SampleCard(name, language, build(Texts(language)))
        for name, build in SAMPLE_CARDS
        for language in LANGUAGES
    ]
