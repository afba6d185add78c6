"""Answers a free-text question from the rule files, with the policy's own numbers.

The language work (domain/answers) is imported on the first question, and its index is
built once per process then: a bot that is never asked anything never pays for it.

Issue 24: the work is bounded (the first characters of a text, words of a sane length) and
done off the event loop, in one thread of its own: while one person's pasted page is read,
everybody else is answered. One thread, because the stemmers are not thread-safe; each
answer takes milliseconds, so a queue there is short.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from cards.answers import AnswerView, FlowButton, RuleAnswer, answer_card, no_answer_card
from cards.i18n import Texts
from domain.answers.bounds import bounded
from domain.organisations import Organisations
from domain.policy import Policy

if TYPE_CHECKING:
    from domain.answers.knowledge import Entry

MAX_BUTTONS = 3


@cache
def _answerer() -> ThreadPoolExecutor:
    """The process's one thread for the language work (created on the first question)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="answers")


@dataclass(frozen=True)
class Reply:
    """What the person gets: a line of text, a card, or both."""

    text: str | None = None
    card: dict[str, Any] | None = None


class RuleAnswers:
    """Finds the rules a question is about and answers with them, or honestly with none.

    Issue 15: a question is answered with the asker's organisation's policy (its numbers,
    templates and answers folder), never another organisation's.
    """

    def __init__(self, policy: Policy, organisations: Organisations | None = None) -> None:
        self._policy = policy
        self._organisations = organisations

    def policy_for(self, tenant_id: str | None) -> Policy:
        """The policy of the asker's organisation (the deployment's when none serves it)."""
        if self._organisations is None:
            return self._policy
        return self._organisations.policy_of_tenant(tenant_id, self._policy)

    def values(self, texts: Texts, policy: Policy | None = None) -> dict[str, object]:
        """The policy's numbers that the answers name (R3, R9, R12)."""
        policy = policy or self._policy
        months = policy.channels.documentation_interval_months
        return {
            "min_editors": policy.channels.min_editors,
            "consent_age": policy.consent.guardian_age,
            "every_interval": texts(f"answers.every_months.m{months}"),
        }

    async def answer(self, text: str, texts: Texts, *, tenant_id: str | None = None) -> Reply:
        """`reply`, off the event loop, on the text's first characters only (issue 24)."""
        work = partial(self.reply, bounded(text), texts, tenant_id=tenant_id)
        return await asyncio.get_running_loop().run_in_executor(_answerer(), work)

    def reply(self, text: str, texts: Texts, *, tenant_id: str | None = None) -> Reply:
        """The answer card for a question (with the policy of the asker's tenant); the hint
        with what the bot knows when unsure. CPU work: call `answer` from the event loop."""
        # Imported here: the language libraries and the index cost only when someone asks.
        from domain.answers import knowledge

        text = bounded(text)
        if not text.strip():
            return Reply(text=texts("unknown.hint"))
        policy = self.policy_for(tenant_id)
        extra = policy.answers.extra_dir
        finding = knowledge.find(text, texts.language, extra)
        if not finding:
            return Reply(text=texts("unknown.hint"), card=no_answer_card(texts))
        values = self.values(texts, policy)
        rules = tuple(
            self._rule(policy, knowledge.entry(rule, extra), texts, values)
            for rule in finding.rules
        )
        buttons = tuple(
            FlowButton(texts(f"answers.flows.{flow}"), texts(f"commands.{flow}.title"))
            for flow in finding.flows[:MAX_BUTTONS]
        )
        wish = texts(f"answers.wishes.{finding.wish}") if finding.wish else ""
        return Reply(card=answer_card(AnswerView(rules=rules, buttons=buttons, wish=wish), texts))

    @staticmethod
    def _rule(policy: Policy, entry: Entry, texts: Texts, values: dict[str, object]) -> RuleAnswer:
        url = getattr(policy.templates, entry.template, "") if entry.template else ""
        return RuleAnswer(
            rule=entry.key,
            answer=texts(f"answers.rules.{entry.key}", **values),
            quote=entry.quotes[texts.language],
            template_title=texts(f"answers.templates.{entry.template}") if url else "",
            template_url=url,
        )
