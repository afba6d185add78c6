"""R9, R10: the consent decision over every combination of answers, with the policy."""

from __future__ import annotations

import pytest

from domain.consent import (
    ConsentAnswers,
    ConsentDecision,
    ConsentForm,
    Missing,
    Outcome,
    Subject,
    Use,
    decide,
)
from domain.policy import ConsentPolicy

ONE, SEVERAL = Use.ONE_POST, Use.SEVERAL_CONTEXTS
NONE, ORAL, WRITTEN = ConsentForm.NONE, ConsentForm.ORAL, ConsentForm.WRITTEN
POLICY = ConsentPolicy()

ADULT_ORAL = Subject(ORAL)
ADULT_WRITTEN = Subject(WRITTEN, document=True)
CHILD_GUARDIAN_ORAL = Subject(ORAL, minor=True, guardian_named=True)
CHILD_GUARDIAN_WRITTEN = Subject(WRITTEN, minor=True, guardian_named=True, document=True)

CASES = [
    # (name, answers, outcome, missing, unrecorded)
    ("no identifiable person", ConsentAnswers(False, SEVERAL, 0), Outcome.PUBLISH, (), 0),
    ("adult, one post, oral", ConsentAnswers(True, ONE, 1, (ADULT_ORAL,)), Outcome.PUBLISH, (), 0),
    (
        "adult, one post, written",
        ConsentAnswers(True, ONE, 1, (ADULT_WRITTEN,)),
        Outcome.PUBLISH,
        (),
        0,
    ),
    (
        "adult, one post, no consent",
        ConsentAnswers(True, ONE, 1, (Subject(NONE),)),
        Outcome.STOP,
        ((0, Missing.CONSENT),),
        0,
    ),
    (
        "adult, several contexts, oral only (R10)",
        ConsentAnswers(True, SEVERAL, 1, (ADULT_ORAL,)),
        Outcome.STOP,
        ((0, Missing.WRITTEN),),
        0,
    ),
    (
        "adult, several contexts, written without the form (R10)",
        ConsentAnswers(True, SEVERAL, 1, (Subject(WRITTEN),)),
        Outcome.STOP,
        ((0, Missing.DOCUMENT),),
        0,
    ),
    (
        "adult, several contexts, written with the form",
        ConsentAnswers(True, SEVERAL, 1, (ADULT_WRITTEN,)),
        Outcome.PUBLISH,
        (),
        0,
    ),
    (
        "child under 15 without guardian consent (R9)",
        ConsentAnswers(True, ONE, 1, (Subject(NONE, minor=True),)),
        Outcome.STOP,
        ((0, Missing.GUARDIAN_CONSENT),),
        0,
    ),
    (
        "child under 15, consent but no guardian named (R9)",
        ConsentAnswers(True, ONE, 1, (Subject(ORAL, minor=True),)),
        Outcome.STOP,
        ((0, Missing.GUARDIAN),),
        0,
    ),
    (
        "child under 15, guardian's oral consent, one post",
        ConsentAnswers(True, ONE, 1, (CHILD_GUARDIAN_ORAL,)),
        Outcome.PUBLISH,
        (),
        0,
    ),
    (
        "child under 15, guardian's oral consent, several contexts (R10)",
        ConsentAnswers(True, SEVERAL, 1, (CHILD_GUARDIAN_ORAL,)),
        Outcome.STOP,
        ((0, Missing.WRITTEN),),
        0,
    ),
    (
        "child under 15, guardian's written consent, several contexts",
        ConsentAnswers(True, SEVERAL, 1, (CHILD_GUARDIAN_WRITTEN,)),
        Outcome.PUBLISH,
        (),
        0,
    ),
    (
        "mixed group, everybody's consent enough",
        ConsentAnswers(True, ONE, 3, (ADULT_ORAL, CHILD_GUARDIAN_ORAL, ADULT_WRITTEN)),
        Outcome.PUBLISH,
        (),
        0,
    ),
    (
        "mixed group, several contexts: the oral adult and the child without guardian stop it",
        ConsentAnswers(
            True,
            SEVERAL,
            3,
            (ADULT_WRITTEN, ADULT_ORAL, Subject(WRITTEN, minor=True, document=True)),
        ),
        Outcome.STOP,
        ((1, Missing.WRITTEN), (2, Missing.GUARDIAN)),
        0,
    ),
    (
        "mixed group, one person more in the picture than answers",
        ConsentAnswers(True, ONE, 3, (ADULT_ORAL, CHILD_GUARDIAN_ORAL)),
        Outcome.STOP,
        (),
        1,
    ),
    ("identifiable but nobody named", ConsentAnswers(True, ONE, 0), Outcome.STOP, (), 1),
    (
        "a withdrawn consent from the register cannot be used (R9)",
        ConsentAnswers(True, ONE, 1, (Subject(WRITTEN, document=True, withdrawn=True),)),
        Outcome.STOP,
        ((0, Missing.WITHDRAWN),),
        0,
    ),
]


@pytest.mark.parametrize(
    ("answers", "outcome", "missing", "unrecorded"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_r9_r10_consent_decision(
    answers: ConsentAnswers, outcome: Outcome, missing: tuple, unrecorded: int
) -> None:
    decision = decide(answers, POLICY)
    assert decision.outcome is outcome
    assert decision.missing == missing
    assert decision.unrecorded == unrecorded


def test_r10_several_contexts_is_what_needs_written_consent_by_default() -> None:
    assert decide(ConsentAnswers(True, SEVERAL, 1, (ADULT_ORAL,)), POLICY).needs_written
    assert not decide(ConsentAnswers(True, ONE, 1, (ADULT_ORAL,)), POLICY).needs_written


def test_r10_a_unit_may_require_written_consent_for_one_post_too() -> None:
    strict = ConsentPolicy(written_consent_for=("one_post", "several_contexts"))
    decision = decide(ConsentAnswers(True, ONE, 1, (ADULT_ORAL,)), strict)
    assert decision == ConsentDecision(Outcome.STOP, ((0, Missing.WRITTEN),), True, 0)
