"""The manager's approval card (R2, R5, R6), and its status-only copy for everyone else.

Universal Actions: the card refreshes itself for the users in `refresh_user_ids`, so the
manager sees the buttons and the others the status; a decision updates every copy.
"""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import (
    COMMENT_MAX_LENGTH,
    Element,
    decision_block,
    help_text,
    notice,
    plan_link,
    plan_sections,
    purpose,
    refresh,
    summary_facts,
    text_input,
    with_error,
)
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import ApprovalView


def approval_card(view: ApprovalView, texts: Texts) -> dict[str, Any]:
    """Builds the approval card: the plan, and the decision or the means to make it."""
    summary = view.summary
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id, "version": view.version}
    if not view.full:
        return _status_only(view, texts, ids)
    deciding = view.actionable and view.decision is None
    intro = "approval.intro_actionable" if deciding else "approval.intro_status"
    body: list[Element] = [
        heading(texts("approval.title", name=escape_md(summary.name))),
        *notice(view.notice),
        paragraph(
            texts(
                intro, requester=escape_md(summary.requester), manager=escape_md(summary.manager)
            )
        ),
        summary_facts(summary, texts),
    ]
    if view.decision is not None:
        body.append(decision_block(view.decision, texts))
    body += [
        *purpose(summary, texts),
        subheading(texts("approval.plan_heading")),
        *plan_sections(view.sections),
        *plan_link(summary, texts),
        subheading(texts("approval.login_heading")),
        # R6: where the login is kept; the card never carries the login itself.
        facts([(texts("approval.login_reference"), escape_md(view.login_reference))]),
    ]
    actions: list[dict[str, Any]] = []
    if deciding:
        body += _decision_inputs(view, texts)
        actions = [
            execute_action(
                texts("approval.approve"), Verb.APPROVAL_APPROVE, ids, style="positive"
            ),
            execute_action(texts("approval.changes"), Verb.APPROVAL_CHANGES, ids),
            execute_action(
                texts("approval.reject"), Verb.APPROVAL_REJECT, ids, style="destructive"
            ),
        ]
    return card(body, actions, **refresh(Verb.APPROVAL_REFRESH, ids, view.refresh_user_ids))


def _status_only(view: ApprovalView, texts: Texts, ids: dict[str, Scalar]) -> dict[str, Any]:
    """The channel's name, platform, unit and status: no plan, login, people or files."""
    summary = view.summary
    body: list[Element] = [
        heading(texts("approval.title", name=escape_md(summary.name))),
        *notice(view.notice),
        paragraph(texts("approval.intro_status_only")),
        facts(
            [
                (texts("status.fact_platform"), summary.platform),
                (texts("status.fact_unit"), escape_md(summary.unit)),
                (texts("status.fact_status"), summary.status),
            ]
        ),
    ]
    return card(body, [], **refresh(Verb.APPROVAL_REFRESH, ids, view.refresh_user_ids))


def _decision_inputs(view: ApprovalView, texts: Texts) -> list[Element]:
    """The comment and the login checkbox (R6), each with its error."""
    comment = text_input(
        "comment",
        texts("approval.comment"),
        value=view.values.get("comment", ""),
        multiline=True,
        max_length=COMMENT_MAX_LENGTH,
        placeholder=texts("approval.comment_placeholder"),
    )
    # Not isRequired: a client would then refuse "reject" without the box ticked; the
    # server requires it for "approve" only (R6).
    login_access: Element = {
        "type": "Input.Toggle",
        "id": "login_access",
        "title": texts("approval.login_access"),
        "valueOn": "true",
        "valueOff": "false",
        "value": "true" if view.values.get("login_access") == "true" else "false",
        "wrap": True,
    }
    return [
        subheading(texts("approval.decision_heading")),
        *with_error(comment, view.errors),
        *with_error(login_access, view.errors),
        help_text(texts("approval.login_help")),
    ]
