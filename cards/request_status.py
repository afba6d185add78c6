"""The requester's live status card for a channel request (flows 1–4)."""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar
from cards.channel_common import (
    Element,
    decision_block,
    notice,
    plan_link,
    refresh,
    summary_facts,
)
from cards.common import card, escape_md, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import RequestStatusView


def request_status_card(view: RequestStatusView, texts: Texts) -> dict[str, Any]:
    """Builds the status card: the channel, the steps done and to do, and the decision."""
    summary = view.summary
    body: list[Element] = [
        heading(texts("status.title", name=escape_md(summary.name))),
        *notice(view.notice),
        paragraph(texts("status.intro")),
        summary_facts(summary, texts),
    ]
    if view.decision is not None:
        body.append(decision_block(view.decision, texts))
    body.append(subheading(texts("status.steps_heading")))
    body += [
        paragraph(
            texts("status.step_done" if step.done else "status.step_todo", step=step.label),
            spacing="Small",
        )
        for step in view.steps
    ]
    body += plan_link(summary, texts)
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id, "version": view.version}
    return card(body, **refresh(Verb.CHANNEL_STATUS, ids, view.refresh_user_ids))
