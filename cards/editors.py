"""The editor cards (R3): an invitation to accept or decline, and a request for another name."""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import (
    Element,
    error_text,
    notice,
    outcome,
    people_picker,
    summary_facts,
)
from cards.common import card, escape_md, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import EditorInviteView, NominateView

# What an editor does, in the order the card lists it (R3, R12, R9–R10).
EDITOR_DUTIES = (
    "editors.duty_publish",
    "editors.duty_comments",
    "editors.duty_documentation",
    "editors.duty_consent",
)


def editor_invite_card(view: EditorInviteView, texts: Texts) -> dict[str, Any]:
    """Builds the invitation to become an editor, or the answer once it is given."""
    summary = view.summary
    body: list[Element] = [
        heading(texts("editors.invite_title", name=escape_md(summary.name))),
        *notice(view.notice),
        paragraph(
            texts(
                "editors.invite_intro",
                invited_by=escape_md(view.invited_by),
                platform=escape_md(summary.platform),
            )
        ),
        summary_facts(summary, texts, status=False),
        subheading(texts("editors.duties_heading")),
        # R3: at least two editors administer every channel.
        paragraph(texts("editors.duties_intro"), spacing="Small"),
        *(paragraph(f"- {texts(duty)}", spacing="Small") for duty in EDITOR_DUTIES),
    ]
    if view.answer:
        return card([*body, outcome(view.answer)])
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id, "editor_id": view.editor_id}
    return card(
        body,
        [
            execute_action(texts("editors.accept"), Verb.EDITOR_ACCEPT, ids, style="positive"),
            execute_action(texts("editors.decline"), Verb.EDITOR_DECLINE, ids),
        ],
    )


def nominate_card(view: NominateView, texts: Texts) -> dict[str, Any]:
    """Builds the request for another editor after a decline (R3), or its outcome."""
    summary = view.summary
    body: list[Element] = [
        heading(texts("editors.nominate_title", name=escape_md(summary.name))),
        paragraph(texts("editors.nominate_intro", declined=escape_md(view.declined))),
        summary_facts(summary, texts, status=False),
    ]
    if view.done:
        return card([*body, outcome(view.done, "good")])
    picker = people_picker(
        "editors",
        texts("editors.nominate_field"),
        multiple=False,
        error_message=texts("editors.nominate_error"),
        placeholder=texts("editors.nominate_placeholder"),
    )
    body.append(picker)
    if view.error:
        body.append(error_text("editors", view.error))
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id}
    return card(
        body, [execute_action(texts("editors.nominate_button"), Verb.EDITOR_NOMINATE, ids)]
    )
