"""A new plan as shown to the communications department, with room for their comment (R7)."""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import (
    COMMENT_MAX_LENGTH,
    Element,
    outcome,
    plan_link,
    plan_sections,
    purpose,
    summary_facts,
    text_input,
    with_error,
)
from cards.common import card, escape_md, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import CommsSummaryView


def comms_summary_card(view: CommsSummaryView, texts: Texts) -> dict[str, Any]:
    """Builds the plan's summary for the communications channel and the comment field."""
    summary = view.summary
    body: list[Element] = [
        heading(texts("comms.title", name=escape_md(summary.name))),
        paragraph(texts("comms.intro", requester=escape_md(summary.requester))),
        summary_facts(summary, texts),
        *purpose(summary, texts),
        subheading(texts("comms.plan_heading")),
        *plan_sections(view.sections),
        *plan_link(summary, texts),
        subheading(texts("comms.comment_heading")),
    ]
    if view.sent:
        body.append(outcome(view.sent, "good"))
    # Several people read the channel's copy: the field stays for the next comment.
    comment = text_input(
        "comment",
        texts("comms.comment"),
        required=True,
        error_message=texts("comms.comment_error"),
        max_length=COMMENT_MAX_LENGTH,
        multiline=True,
        placeholder=texts("comms.comment_placeholder", requester=summary.requester),
    )
    body += with_error(comment, {"comment": view.error} if view.error else {})
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id, "version": view.version}
    return card(body, [execute_action(texts("comms.send"), Verb.COMMS_COMMENT, ids)])
