"""The communications department's overview of all channels (R3, R8, R12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.i18n import Texts


@dataclass(frozen=True)
class AdminChannelLine:
    """A channel that needs attention, as one line."""

    name: str
    unit: str
    detail: str  # e.g. "försenad sedan 2 mars 2026" or "1 av 2 redaktörer"


@dataclass(frozen=True)
class AdminOverviewView:
    """Counts by status and the channels that need attention."""

    counts: tuple[tuple[str, str], ...]  # (status label, count)
    overdue: tuple[AdminChannelLine, ...]
    understaffed: tuple[AdminChannelLine, ...]
    csv_url: str
    # (administration, "2 försenade, 1 med för få redaktörer, 0 borttagningar"); empty when the
    # organisation has one administration.
    administrations: tuple[tuple[str, str], ...] = ()
    more_overdue: int = 0
    more_understaffed: int = 0
    captures_off: bool = False  # this instance takes no captures of its own (issue 25)


def _lines(
    lines: tuple[AdminChannelLine, ...], more: int, empty: str, texts: Texts
) -> list[dict[str, Any]]:
    if not lines:
        return [paragraph(empty, isSubtle=True, spacing="Small")]
    body = [facts([(escape_md(f"{line.name} ({line.unit})"), line.detail) for line in lines])]
    if more:
        body.append(paragraph(texts("admin_overview.more", count=more), isSubtle=True))
    return body


def admin_overview_card(view: AdminOverviewView, texts: Texts) -> dict[str, Any]:
    """Builds the overview card with a link to the public list as CSV."""
    return card(
        [
            heading(texts("admin_overview.title")),
            *([paragraph(texts("capture.admin_off"))] if view.captures_off else []),
            subheading(texts("admin_overview.counts_heading")),
            facts(list(view.counts)),
            *(
                [
                    subheading(texts("admin_overview.per_administration_heading")),
                    facts(list(view.administrations)),
                ]
                if view.administrations
                else []
            ),
            subheading(texts("admin_overview.overdue_heading")),
            *_lines(view.overdue, view.more_overdue, texts("admin_overview.none_overdue"), texts),
            subheading(texts("admin_overview.understaffed_heading")),
            *_lines(
                view.understaffed,
                view.more_understaffed,
                texts("admin_overview.none_understaffed"),
                texts,
            ),
        ],
        [{"type": "Action.OpenUrl", "title": texts("admin_overview.csv"), "url": view.csv_url}],
    )
