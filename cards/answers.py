"""Answers to free-text questions about the rules, and the honest answer when there is none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.common import card, facts, heading, paragraph, subheading
from cards.i18n import Texts, commands


@dataclass(frozen=True)
class RuleAnswer:
    """One cited rule: its id, the answer with the policy's values, the guideline's sentence."""

    rule: str  # "R3"
    answer: str
    quote: str
    template_title: str = ""  # with template_url: the policy's link for this rule
    template_url: str = ""


@dataclass(frozen=True)
class FlowButton:
    """A button that types a command for the person, as if they had written it."""

    title: str
    command: str  # the command's words in the person's language ("ny kanal")


@dataclass(frozen=True)
class AnswerView:
    """What the answer card shows: a wish's sentence (or none), the rules, the buttons."""

    rules: tuple[RuleAnswer, ...]
    buttons: tuple[FlowButton, ...] = ()
    wish: str = ""


def _im_back(button: FlowButton) -> dict[str, Any]:
    """An Action.Submit that Teams turns into the person's own message (imBack)."""
    return {
        "type": "Action.Submit",
        "title": button.title,
        "data": {"msteams": {"type": "imBack", "value": button.command}},
    }


def _rule_blocks(answer: RuleAnswer, texts: Texts) -> list[dict[str, Any]]:
    blocks = [
        subheading(texts("answers.rule_heading", rule=answer.rule)),
        paragraph(answer.answer, spacing="Small"),
        paragraph(texts("answers.quote_label"), isSubtle=True, size="Small"),
        paragraph(texts("answers.quote", quote=answer.quote), isSubtle=True, spacing="None"),
    ]
    if answer.template_url:
        blocks.append(
            paragraph(
                texts(
                    "answers.template_link", title=answer.template_title, url=answer.template_url
                )
            )
        )
    return blocks


def answer_card(view: AnswerView, texts: Texts) -> dict[str, Any]:
    """Builds the answer to a question: each cited rule and the buttons into its flows."""
    body = [heading(texts("answers.title_wish" if view.wish else "answers.title"))]
    if view.wish:
        body.append(paragraph(view.wish))
    for rule in view.rules:
        body += _rule_blocks(rule, texts)
    body.append(paragraph(texts("answers.more"), isSubtle=True, size="Small"))
    return card(body, [_im_back(button) for button in view.buttons])


def no_answer_card(texts: Texts) -> dict[str, Any]:
    """Builds the honest answer to a question the rules do not answer: what the bot can do."""
    command_facts = [
        (texts(f"commands.{c.name}.title"), texts(f"commands.{c.name}.description"))
        for c in commands()
    ]
    return card(
        [
            heading(texts("answers.none.title")),
            paragraph(texts("answers.none.body")),
            paragraph(texts("answers.none.ask")),
            subheading(texts("help.commands_heading")),
            facts(command_facts),
        ]
    )
