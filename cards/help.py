"""The help card: what the bot does, its commands and the rules in short."""

from __future__ import annotations

from typing import Any

from cards.common import card, facts, heading, paragraph, subheading
from cards.i18n import Texts, commands


def help_card(texts: Texts) -> dict[str, Any]:
    """Builds the help card from the catalog's commands and rule summaries."""
    command_facts = [
        (texts(f"commands.{c.name}.title"), texts(f"commands.{c.name}.description"))
        for c in commands()
    ]
    rules = [
        "rule_plan",
        "rule_editors",
        "rule_consent",
        "rule_documentation",
        "rule_records",
    ]
    return card(
        [
            heading(texts("help.title")),
            paragraph(texts("help.intro")),
            subheading(texts("help.commands_heading")),
            facts(command_facts),
            subheading(texts("help.rules_heading")),
            *(paragraph(f"- {texts(f'help.{rule}')}", spacing="Small") for rule in rules),
        ]
    )
