"""Half-yearly documentation (R12): the editors' reminder and the manager's escalation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.actions import execute_action
from cards.common import card, escape_md, facts, heading, paragraph
from cards.i18n import Texts
from cards.verbs import Verb


@dataclass(frozen=True)
class DocumentationReminderView:
    """What a reminder shows: the channel, when it is due, and whether someone has done it."""

    channel_id: int
    due_iso: str  # the round's due date, ISO (card data)
    name: str
    platform: str
    due: str  # formatted for the reader
    last_documented: str | None
    overdue_days: int
    done: str | None = None  # "Dokumenterad av … den …" once any editor completed the round
    notice: str | None = None


@dataclass(frozen=True)
class DocumentationEscalationView:
    """The manager's card when nobody documented the channel in time (R12)."""

    name: str
    platform: str
    unit: str
    editors: tuple[str, ...]
    due: str
    overdue_days: int


def documentation_reminder_card(view: DocumentationReminderView, texts: Texts) -> dict[str, Any]:
    """Builds the reminder, or its "done" version without the button."""
    if view.done is not None:
        title = texts("documentation.title_done", name=escape_md(view.name))
    elif view.overdue_days > 0:
        title = texts(
            "documentation.title_overdue", name=escape_md(view.name), days=view.overdue_days
        )
    else:
        title = texts("documentation.title", name=escape_md(view.name))
    pairs = [
        (texts("documentation.platform"), escape_md(view.platform)),
        (texts("documentation.due"), view.due),
        (texts("documentation.last"), view.last_documented or texts("documentation.never")),
    ]
    body = [heading(title)]
    if view.notice:
        body.append(paragraph(view.notice, color="Attention"))
    body += [facts(pairs)]
    if view.done is not None:
        body.append(paragraph(view.done, color="Good", weight="Bolder"))
        return card(body)
    body.append(paragraph(texts("documentation.what_to_do")))
    action = execute_action(
        texts("documentation.start"),
        Verb.DOCUMENTATION_START,
        {"channel_id": view.channel_id, "due": view.due_iso},
    )
    return card(body, [action])


def documentation_escalation_card(
    view: DocumentationEscalationView, texts: Texts
) -> dict[str, Any]:
    """Builds the manager's card naming the channel, its editors and the days overdue."""
    return card(
        [
            heading(texts("documentation.escalation_title", name=escape_md(view.name))),
            paragraph(texts("documentation.escalation_intro", days=view.overdue_days)),
            facts(
                [
                    (texts("documentation.platform"), escape_md(view.platform)),
                    (texts("documentation.unit"), escape_md(view.unit)),
                    (texts("documentation.due"), view.due),
                    (texts("documentation.editors"), escape_md(", ".join(view.editors)) or "–"),
                ]
            ),
            paragraph(texts("documentation.escalation_hint")),
        ]
    )
