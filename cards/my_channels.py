"""My channels ("mina kanaler"): the channels where I am requester, manager or editor."""

from __future__ import annotations

from typing import Any

from cards.actions import execute_action
from cards.channel_common import Element
from cards.common import card, escape_md, heading, paragraph
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import MyChannelRow, MyChannelsView


def my_channels_card(view: MyChannelsView, texts: Texts) -> dict[str, Any]:
    """Builds the list of my channels, one row each, or an invitation to start one."""
    body: list[Element] = [heading(texts("my_channels.title"))]
    if view.rows:
        body.append(paragraph(texts("my_channels.intro")))
        body += [_row(row, texts) for row in view.rows]
    else:
        body.append(paragraph(texts("my_channels.empty")))
    if view.closed:
        body.append(
            paragraph(
                texts("my_channels.closed", names=escape_md(", ".join(view.closed))),
                isSubtle=True,
                spacing="Large",
            )
        )
    return card(body, [execute_action(texts("my_channels.new_channel"), Verb.CHANNEL_NEW)])


def _row(row: MyChannelRow, texts: Texts) -> Element:
    """One channel: what it is on the left; my role, its status and the next due date right."""
    about = [
        paragraph(escape_md(row.name), weight="Bolder"),
        paragraph(
            texts(
                "my_channels.platform_and_unit",
                platform=escape_md(row.platform),
                unit=escape_md(row.unit),
            ),
            isSubtle=True,
            spacing="None",
        ),
    ]
    state = [
        paragraph(row.status, spacing="None"),
        paragraph(texts("my_channels.role", role=row.role), isSubtle=True, spacing="None"),
    ]
    if row.next_due:
        # R12: an overdue documentation stands out.
        due = texts(
            "my_channels.overdue" if row.overdue else "my_channels.next_due", date=row.next_due
        )
        state.append(
            paragraph(due, spacing="None", **({"color": "Attention"} if row.overdue else {}))
        )
    return {
        "type": "ColumnSet",
        "separator": True,
        "spacing": "Medium",
        "columns": [
            {"type": "Column", "width": "stretch", "items": about},
            {"type": "Column", "width": "stretch", "items": state},
        ],
    }
