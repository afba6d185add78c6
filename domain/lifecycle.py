"""The channel lifecycle as an explicit state machine (R2, R3, R8, R13).

    draft -> pending_approval -> rejected | changes_requested | approved
    changes_requested -> pending_approval          (the requester resubmits)
    approved -> editors_ready -> active            (R3 minimum accepted; R8 registered)
    active -> closing -> closed                    (R13)

Illegal transitions raise and never reach the database.
"""

from __future__ import annotations

from enum import StrEnum


class ChannelStatus(StrEnum):
    """Where a channel is in its life."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    EDITORS_READY = "editors_ready"
    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


TRANSITIONS: dict[ChannelStatus, frozenset[ChannelStatus]] = {
    ChannelStatus.DRAFT: frozenset({ChannelStatus.PENDING_APPROVAL}),
    ChannelStatus.PENDING_APPROVAL: frozenset(
        {ChannelStatus.REJECTED, ChannelStatus.CHANGES_REQUESTED, ChannelStatus.APPROVED}
    ),
    ChannelStatus.CHANGES_REQUESTED: frozenset({ChannelStatus.PENDING_APPROVAL}),
    ChannelStatus.REJECTED: frozenset(),
    ChannelStatus.APPROVED: frozenset({ChannelStatus.EDITORS_READY}),
    ChannelStatus.EDITORS_READY: frozenset({ChannelStatus.ACTIVE}),
    ChannelStatus.ACTIVE: frozenset({ChannelStatus.CLOSING}),
    ChannelStatus.CLOSING: frozenset({ChannelStatus.CLOSED, ChannelStatus.ACTIVE}),
    ChannelStatus.CLOSED: frozenset(),
}

# Statuses in which the manager's decision is still open.
UNDECIDED = frozenset({ChannelStatus.DRAFT, ChannelStatus.PENDING_APPROVAL})
# Statuses of channels that exist on the platform (or are about to be closed).
LIVE = frozenset({ChannelStatus.ACTIVE, ChannelStatus.CLOSING})


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: ChannelStatus, target: ChannelStatus) -> None:
        super().__init__(f"a channel cannot go from {current.value} to {target.value}")
        self.current = current
        self.target = target


def can_transition(current: ChannelStatus, target: ChannelStatus) -> bool:
    """Tells whether the lifecycle allows going from one status to another."""
    return target in TRANSITIONS[current]


def transition(current: ChannelStatus, target: ChannelStatus) -> ChannelStatus:
    """Returns the new status, or raises IllegalTransition."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target
