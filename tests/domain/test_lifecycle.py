"""The channel lifecycle (R2, R3, R8, R13): every status pair, legal or refused by name."""

from __future__ import annotations

from itertools import product

import pytest

from domain.lifecycle import (
    TRANSITIONS,
    ChannelStatus,
    IllegalTransition,
    can_transition,
    transition,
)

S = ChannelStatus

# Written out from the module docstring, not read from TRANSITIONS, so a new edge in the
# table fails here until someone decides which rule it belongs to.
R2_APPROVAL_BEFORE_START = [
    (S.DRAFT, S.PENDING_APPROVAL),
    (S.PENDING_APPROVAL, S.REJECTED),
    (S.PENDING_APPROVAL, S.CHANGES_REQUESTED),
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.CHANGES_REQUESTED, S.PENDING_APPROVAL),
]
R3_EDITORS = [(S.APPROVED, S.EDITORS_READY)]
R8_REGISTRATION = [(S.EDITORS_READY, S.ACTIVE)]
R13_CLOSING = [
    (S.ACTIVE, S.CLOSING),
    (S.CLOSING, S.CLOSED),
    # Closing can be called off; the channel is live again.
    (S.CLOSING, S.ACTIVE),
]
LEGAL = frozenset(R2_APPROVAL_BEFORE_START + R3_EDITORS + R8_REGISTRATION + R13_CLOSING)
ILLEGAL = sorted(
    (pair for pair in product(ChannelStatus, ChannelStatus) if pair not in LEGAL),
    key=lambda pair: (list(ChannelStatus).index(pair[0]), list(ChannelStatus).index(pair[1])),
)


def _id(pair: tuple[ChannelStatus, ChannelStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def _assert_legal(current: ChannelStatus, target: ChannelStatus) -> None:
    assert can_transition(current, target)
    assert transition(current, target) is target


def _assert_refused(current: ChannelStatus, target: ChannelStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as caught:
        transition(current, target)
    assert caught.value.current is current
    assert caught.value.target is target
    assert f"from {current.value} to {target.value}" in str(caught.value)


@pytest.mark.parametrize("pair", R2_APPROVAL_BEFORE_START, ids=_id)
def test_r2_approval_before_start(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_legal(*pair)


@pytest.mark.parametrize("pair", R3_EDITORS, ids=_id)
def test_r3_editors(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_legal(*pair)


@pytest.mark.parametrize("pair", R8_REGISTRATION, ids=_id)
def test_r8_registration(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_legal(*pair)


@pytest.mark.parametrize("pair", R13_CLOSING, ids=_id)
def test_r13_closing(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_legal(*pair)


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_every_other_transition_is_refused_naming_both_statuses(
    pair: tuple[ChannelStatus, ChannelStatus],
) -> None:
    _assert_refused(*pair)


def test_the_transition_table_is_exactly_the_legal_set() -> None:
    table = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}

    assert set(TRANSITIONS) == set(ChannelStatus)
    assert table == LEGAL
    assert len(ILLEGAL) == len(ChannelStatus) ** 2 - len(LEGAL)


# The shortcuts each rule exists to prevent, named so a failure says which rule broke.
R2_NO_START_WITHOUT_APPROVAL = [
    (S.DRAFT, S.APPROVED),
    (S.DRAFT, S.ACTIVE),
    (S.PENDING_APPROVAL, S.ACTIVE),
    (S.CHANGES_REQUESTED, S.APPROVED),
    (S.REJECTED, S.PENDING_APPROVAL),
    (S.REJECTED, S.APPROVED),
]
R3_NO_START_WITHOUT_EDITORS = [(S.APPROVED, S.ACTIVE)]
R8_NO_START_WITHOUT_REGISTRATION = [(S.APPROVED, S.ACTIVE), (S.EDITORS_READY, S.CLOSING)]
R13_NO_CLOSE_WITHOUT_SAVING = [
    (S.ACTIVE, S.CLOSED),
    (S.CLOSED, S.ACTIVE),
    (S.CLOSED, S.CLOSING),
]


@pytest.mark.parametrize("pair", R2_NO_START_WITHOUT_APPROVAL, ids=_id)
def test_r2_no_start_without_approval(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_refused(*pair)


@pytest.mark.parametrize("pair", R3_NO_START_WITHOUT_EDITORS, ids=_id)
def test_r3_no_start_without_editors(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_refused(*pair)


@pytest.mark.parametrize("pair", R8_NO_START_WITHOUT_REGISTRATION, ids=_id)
def test_r8_no_start_without_registration(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_refused(*pair)


@pytest.mark.parametrize("pair", R13_NO_CLOSE_WITHOUT_SAVING, ids=_id)
def test_r13_no_close_without_saving(pair: tuple[ChannelStatus, ChannelStatus]) -> None:
    _assert_refused(*pair)


def test_an_illegal_transition_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="from draft to active"):
        transition(S.DRAFT, S.ACTIVE)
