"""Withdrawal of consent (R9) and the removal task that follows the records rules (R11)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import Element, notice, outcome, text_input, with_error
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.consent import Option
from cards.i18n import Texts
from cards.verbs import Verb

NOTE_LIMIT = 500


@dataclass(frozen=True)
class WithdrawFormView:
    """The consents the user may withdraw, or what the withdrawal did."""

    consents: tuple[Option, ...]
    value: str = ""
    note: str = ""
    error: str | None = None
    notice: str | None = None
    done: str | None = None


@dataclass(frozen=True)
class RemovalTaskView:
    """A post to capture and then remove after a withdrawal (R11)."""

    task_id: int
    channel: str
    subject: str
    post_address: str | None
    withdrawn: str
    records_plan_url: str = ""
    captured: str | None = None
    done: str | None = None
    reminder: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class RemovalEscalationView:
    """The manager is told that a removal task has waited too long (R1, R9)."""

    channel: str
    post_address: str | None
    days: int
    editors: tuple[str, ...]
    done: str | None = None  # who removed the post and when, once the task is done


def withdraw_form_card(view: WithdrawFormView, texts: Texts) -> dict[str, Any]:
    """Builds the withdrawal: pick the consent, add a note (R9)."""
    body: list[Element] = [heading(texts("withdrawal.title"))]
    if view.done:
        return card([*body, outcome(view.done, "good")])
    body += [paragraph(texts("withdrawal.intro")), *notice(view.notice)]
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": "consent_id",
        "label": texts("withdrawal.consent"),
        "choices": [{"title": o.title, "value": o.value} for o in view.consents],
        "isRequired": True,
        "errorMessage": texts("withdrawal.choose"),
    }
    if view.value:
        picker["value"] = view.value
    body += with_error(picker, {"consent_id": view.error} if view.error else {})
    body.append(
        text_input(
            "note",
            texts("withdrawal.note"),
            value=view.note,
            max_length=NOTE_LIMIT,
            multiline=True,
        )
    )
    action = execute_action(
        texts("withdrawal.withdraw"), Verb.CONSENT_WITHDRAW, {}, style="destructive"
    )
    return card(body, [action])


def removal_task_card(view: RemovalTaskView, texts: Texts) -> dict[str, Any]:
    """Builds the removal task: capture the post first, then remove it and confirm (R11)."""
    body: list[Element] = [heading(texts("removal.title", channel=escape_md(view.channel)))]
    if view.reminder:
        body.append(outcome(view.reminder, "warning"))
    body.append(
        facts(
            [
                (texts("removal.channel"), escape_md(view.channel)),
                (
                    texts("removal.post"),
                    escape_md(view.post_address) or texts("removal.post_unknown"),
                ),
                (texts("removal.subject"), escape_md(view.subject)),
                (texts("removal.withdrawn"), view.withdrawn),
            ]
        )
    )
    body += notice(view.notice)
    if view.done:
        return card([*body, outcome(view.done, "good")])
    ids: dict[str, Scalar] = {"task_id": view.task_id}
    body.append(subheading(texts("removal.step_capture")))
    if view.captured:
        body.append(paragraph(view.captured, spacing="Small"))
    else:
        body.append(paragraph(texts("removal.capture_why"), spacing="Small"))
        if view.records_plan_url:
            body.append(
                paragraph(
                    texts("removal.records_plan", url=view.records_plan_url), spacing="Small"
                )
            )
    body.append(subheading(texts("removal.step_remove")))
    body.append(paragraph(texts("removal.remove_how"), spacing="Small"))
    actions = []
    if not view.captured:
        actions.append(execute_action(texts("removal.capture"), Verb.REMOVAL_CAPTURE, ids))
    actions.append(execute_action(texts("removal.done"), Verb.REMOVAL_DONE, ids, style="positive"))
    return card(body, actions)


def removal_escalation_card(view: RemovalEscalationView, texts: Texts) -> dict[str, Any]:
    """Builds the manager's notice about a removal task left open (R1)."""
    return card(
        [
            heading(texts("removal.escalation_title", channel=escape_md(view.channel))),
            paragraph(texts("removal.escalation_intro", days=view.days)),
            facts(
                [
                    (
                        texts("removal.post"),
                        escape_md(view.post_address) or texts("removal.post_unknown"),
                    ),
                    (texts("removal.editors"), escape_md(", ".join(view.editors)) or "–"),
                ]
            ),
            outcome(view.done, "good")
            if view.done
            else paragraph(texts("removal.escalation_hint")),
        ]
    )
