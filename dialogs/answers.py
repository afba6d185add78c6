"""Answers a free-text question from the rule files, with the policy's own numbers.

The language work (domain/answers) is imported on the first question, and its index is
built once per process then: a bot that is never asked anything never pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cards.answers import AnswerView, FlowButton, RuleAnswer, answer_card, no_answer_card
from cards.i18n import Texts
from domain.policy import Policy

if TYPE_CHECKING:
    from domain.answers.knowledge import Entry

MAX_BUTTONS = 3


@dataclass(frozen=True)
class Reply:
    """What the person gets: a line of text, a card, or both."""

    text: str | None = None
    card: dict[str, Any] | None = None


class RuleAnswers:
    """Finds the rules a question is about and answers with them, or honestly with none."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def values(self, texts: Texts) -> dict[str, object]:
        """The policy's numbers that the answers name (R3, R9, R12)."""
        months = self._policy.channels.documentation_interval_months
        return {
            "min_editors": self._policy.channels.min_editors,
            "consent_age": self._policy.consent.guardian_age,
            "every_interval": texts(f"answers.every_months.m{months}"),
        }

    def reply(self, text: str, texts: Texts) -> Reply:
        """The answer card for a question; the hint with what the bot knows when unsure."""
        # Imported here: the language libraries and the index cost only when someone asks.
        from domain.answers import knowledge

        if not text.strip():
            return Reply(text=texts("unknown.hint"))
        extra = self._policy.answers.extra_dir
        finding = knowledge.find(text, texts.language, extra)
        if not finding:
            return Reply(text=texts("unknown.hint"), card=no_answer_card(texts))
        values = self.values(texts)
        rules = tuple(
            self._rule(knowledge.entry(rule, extra), texts, values) for rule in finding.rules
        )
        buttons = tuple(
            FlowButton(texts(f"answers.flows.{flow}"), texts(f"commands.{flow}.title"))
            for flow in finding.flows[:MAX_BUTTONS]
        )
        wish = texts(f"answers.wishes.{finding.wish}") if finding.wish else ""
        return Reply(card=answer_card(AnswerView(rules=rules, buttons=buttons, wish=wish), texts))

    def _rule(self, entry: Entry, texts: Texts, values: dict[str, object]) -> RuleAnswer:
        url = getattr(self._policy.templates, entry.template, "") if entry.template else ""
        return RuleAnswer(
            rule=entry.key,
            answer=texts(f"answers.rules.{entry.key}", **values),
            quote=entry.quotes[texts.language],
            template_title=texts(f"answers.templates.{entry.template}") if url else "",
            template_url=url,
        )
