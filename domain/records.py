"""Before deleting (R11): the records management plan's culling rules decide the outcome.

R11: before deleting an image, a post, a comment or a whole channel, the records management
plan (dokumenthanteringsplan, tab Kommunikation) says whether the material is archived or
culled (gallras). The plan's rules are policy data (`RecordsPolicy.culling`); the whole
channel is not decided here: it is closed by the closing checklist (R13).
"""

from __future__ import annotations

from enum import StrEnum

from domain.policy import RecordsPolicy


class DeletionKind(StrEnum):
    """What the editor wants to delete."""

    IMAGE = "image"
    POST = "post"
    COMMENT = "comment"
    CHANNEL = "channel"


class DeletionOutcome(StrEnum):
    """What the records rules allow."""

    # May be deleted now (culled, or already kept by the latest documentation).
    DELETE = "delete"
    # Capture it first (a screenshot kept with its SHA-256), then delete.
    CAPTURE_FIRST = "capture_first"
    # Must be kept: do not delete.
    KEEP = "keep"
    # A whole channel is closed with the closing checklist (R13).
    CLOSE_CHANNEL = "close_channel"


def deletion_outcome(
    kind: DeletionKind,
    covered_by_documentation: bool,
    passing_importance: bool,
    policy: RecordsPolicy,
) -> DeletionOutcome:
    """R11: keep → keep; capture → delete only when the latest documentation covers it;
    cull → delete when of passing importance, otherwise as capture."""
    if kind is DeletionKind.CHANNEL:
        return DeletionOutcome.CLOSE_CHANNEL
    rule = policy.rule_for(kind.value)
    if rule == "keep":
        return DeletionOutcome.KEEP
    if rule == "cull" and passing_importance:
        return DeletionOutcome.DELETE
    if covered_by_documentation:
        return DeletionOutcome.DELETE
    return DeletionOutcome.CAPTURE_FIRST
