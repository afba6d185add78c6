"""Editor changes (R3): a channel never falls below the policy's minimum of editors silently.

A change that would leave fewer accepted editors than the minimum is refused unless a
replacement is named; with a replacement the channel is under-staffed until they accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Refusal(StrEnum):
    """Why an editor change is refused."""

    # R3: fewer than the minimum would remain, and no replacement is named.
    BELOW_MINIMUM = "below_minimum"
    # More editors than the policy allows.
    ABOVE_MAXIMUM = "above_maximum"
    # Nothing to change.
    NOTHING = "nothing"


@dataclass(frozen=True)
class EditorChange:
    """The editors now and the change asked for."""

    accepted: int
    nominated: int
    remove_accepted: int = 0
    remove_nominated: int = 0
    add: int = 0
    replacement: bool = False


@dataclass(frozen=True)
class ChangeDecision:
    """Refused (with why), or allowed and whether the channel is under-staffed after it."""

    refusal: Refusal | None
    understaffed: bool = False


def decide_change(change: EditorChange, min_editors: int, max_editors: int) -> ChangeDecision:
    """R3: refuses a change below the minimum without a replacement, or above the maximum."""
    removed = change.remove_accepted + change.remove_nominated
    added = change.add + (1 if change.replacement else 0)
    if removed == 0 and added == 0:
        return ChangeDecision(Refusal.NOTHING)
    accepted_after = change.accepted - change.remove_accepted
    if accepted_after < min_editors and change.remove_accepted and not change.replacement:
        return ChangeDecision(Refusal.BELOW_MINIMUM)
    if change.accepted + change.nominated - removed + added > max_editors:
        return ChangeDecision(Refusal.ABOVE_MAXIMUM)
    return ChangeDecision(None, understaffed=accepted_after < min_editors)


def is_understaffed(accepted: int, min_editors: int) -> bool:
    """R3: fewer accepted editors than the policy's minimum."""
    return accepted < min_editors
