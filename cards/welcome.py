"""The welcome card shown when Kanalkollen is installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.actions import execute_action
from cards.common import card, escape_md, heading, paragraph
from cards.i18n import Texts
from cards.verbs import Verb


@dataclass(frozen=True)
class WelcomeView:
    """Who is welcomed."""

    first_name: str  # empty when Teams did not say (install events carry no name)


def welcome_card(view: WelcomeView, texts: Texts) -> dict[str, Any]:
    """Builds the welcome card."""
    return card(
        [
            heading(
                texts("welcome.title", name=escape_md(view.first_name))
                if view.first_name
                else texts("welcome.title_no_name")
            ),
            paragraph(texts("welcome.body")),
            paragraph(texts("welcome.hint"), isSubtle=True),
        ],
        [
            execute_action(texts("welcome.new_channel_button"), Verb.CHANNEL_NEW),
            execute_action(texts("welcome.help_button"), Verb.SHOW_HELP),
        ],
    )
