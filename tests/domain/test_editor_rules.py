"""R3: editor changes never leave a channel below the minimum silently."""

from __future__ import annotations

import pytest

from domain.editors import ChangeDecision, EditorChange, Refusal, decide_change, is_understaffed

MIN, MAX = 2, 4

CASES = [
    (
        "remove one of two without a replacement",
        EditorChange(2, 0, remove_accepted=1),
        ChangeDecision(Refusal.BELOW_MINIMUM),
    ),
    (
        "remove one of two with a replacement",
        EditorChange(2, 0, remove_accepted=1, replacement=True),
        ChangeDecision(None, understaffed=True),
    ),
    ("remove one of three", EditorChange(3, 0, remove_accepted=1), ChangeDecision(None)),
    (
        "remove one of three with a replacement",
        EditorChange(3, 0, remove_accepted=1, replacement=True),
        ChangeDecision(None),
    ),
    ("withdraw a nomination", EditorChange(2, 1, remove_nominated=1), ChangeDecision(None)),
    ("add one", EditorChange(2, 0, add=1), ChangeDecision(None)),
    ("add beyond the maximum", EditorChange(3, 1, add=1), ChangeDecision(Refusal.ABOVE_MAXIMUM)),
    ("nothing asked", EditorChange(2, 0), ChangeDecision(Refusal.NOTHING)),
    (
        "an under-staffed channel stays so until the new editor accepts",
        EditorChange(1, 0, add=1),
        ChangeDecision(None, understaffed=True),
    ),
    (
        "removing the last but one while one more is pending",
        EditorChange(2, 1, remove_accepted=1),
        ChangeDecision(Refusal.BELOW_MINIMUM),
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_r3_editor_changes(change: EditorChange, expected: ChangeDecision) -> None:
    assert decide_change(change, MIN, MAX) == expected


def test_r3_understaffed_below_the_minimum() -> None:
    assert is_understaffed(1, 2) and not is_understaffed(2, 2)
