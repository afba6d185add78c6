"""The social media plan (R5) as data: what the employee writes and what the document shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The plan's text sections in the order the template and the document use.
TEXT_SECTIONS = (
    "goals",
    "target_groups",
    "content_and_rhythm",
    "comment_handling",
    "moderation_and_crisis",
)


@dataclass(frozen=True)
class PlanSections:
    """R5: the sections of a social media plan, as the employee wrote them."""

    goals: str
    target_groups: str
    content_and_rhythm: str
    comment_handling: str  # who answers comments, and when
    moderation_and_crisis: str
    evaluation_date: date

    def text_sections(self) -> tuple[tuple[str, str], ...]:
        """Returns (section name, text) pairs in document order; the evaluation date is apart."""
        return tuple((name, getattr(self, name)) for name in TEXT_SECTIONS)


@dataclass(frozen=True)
class PlanDocumentView:
    """Everything the plan document shows, already localised and formatted.

    There is deliberately no login reference here. R6 asks that the manager has access to the
    login, and the approval card asks for exactly that; but the plan is shared (with the
    communications department under R7, with the records officer, and perhaps as a public
    record), so even a reference to where the login is kept stays out of it.
    """

    title: str
    channel_name: str
    platform: str  # the platform's label in the document's language
    unit: str
    purpose_and_audience: str
    editors: tuple[str, ...]  # display names
    manager: str  # display name
    requester: str  # display name
    created_at: str  # formatted for the document's language
    sections: tuple[tuple[str, str], ...]  # (heading, text) in document order
