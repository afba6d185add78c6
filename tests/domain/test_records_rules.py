"""R11: the culling rules decide what happens before a deletion, with the default policy and a
unit's adapted one."""

from __future__ import annotations

import pytest

from domain.policy import CullingRule, PolicyError, RecordsPolicy
from domain.policy_file import parse_policy
from domain.records import DeletionKind, DeletionOutcome, deletion_outcome

IMAGE, POST, COMMENT, CHANNEL = (
    DeletionKind.IMAGE,
    DeletionKind.POST,
    DeletionKind.COMMENT,
    DeletionKind.CHANNEL,
)
DELETE, CAPTURE, KEEP, CLOSE = (
    DeletionOutcome.DELETE,
    DeletionOutcome.CAPTURE_FIRST,
    DeletionOutcome.KEEP,
    DeletionOutcome.CLOSE_CHANNEL,
)
DEFAULT = RecordsPolicy()

# (kind, covered by the latest documentation, of passing importance, outcome)
DEFAULT_CASES = [
    (IMAGE, False, False, CAPTURE),
    (IMAGE, False, True, CAPTURE),  # images are captured whatever their importance
    (IMAGE, True, False, DELETE),
    (IMAGE, True, True, DELETE),
    (POST, False, False, CAPTURE),
    (POST, False, True, CAPTURE),
    (POST, True, False, DELETE),
    (POST, True, True, DELETE),
    (COMMENT, False, False, CAPTURE),
    (COMMENT, False, True, DELETE),  # culled when of passing importance
    (COMMENT, True, False, DELETE),
    (COMMENT, True, True, DELETE),
    (CHANNEL, False, False, CLOSE),
    (CHANNEL, True, True, CLOSE),
]


@pytest.mark.parametrize(("kind", "covered", "passing", "outcome"), DEFAULT_CASES)
def test_r11_default_culling_rules(
    kind: DeletionKind, covered: bool, passing: bool, outcome: DeletionOutcome
) -> None:
    assert deletion_outcome(kind, covered, passing, DEFAULT) is outcome


def test_r11_a_unit_that_keeps_posts_is_told_to_keep_them() -> None:
    policy = parse_policy(
        '[[records.culling]]\nkind = "post"\nrule = "keep"\n'
        '[[records.culling]]\nkind = "image"\nrule = "cull"\n'
    ).records
    assert deletion_outcome(POST, True, True, policy) is KEEP
    assert deletion_outcome(IMAGE, False, True, policy) is DELETE
    assert deletion_outcome(IMAGE, False, False, policy) is CAPTURE
    # A kind the unit's plan does not list is captured first.
    assert deletion_outcome(COMMENT, False, True, policy) is CAPTURE


def test_r11_culling_rules_are_checked_when_the_policy_loads() -> None:
    with pytest.raises(PolicyError, match="rule 'burn'"):
        parse_policy('[[records.culling]]\nkind = "post"\nrule = "burn"\n')
    with pytest.raises(PolicyError, match="kind 'story'"):
        parse_policy('[[records.culling]]\nkind = "story"\nrule = "keep"\n')
    with pytest.raises(PolicyError, match="more than once"):
        RecordsPolicy(culling=(CullingRule("post", "keep"), CullingRule("post", "cull")))
        parse_policy(
            '[[records.culling]]\nkind = "post"\nrule = "keep"\n'
            '[[records.culling]]\nkind = "post"\nrule = "cull"\n'
        )
