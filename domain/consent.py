"""Consent before publishing (R9, R10) as a pure decision over the answers and the policy.

R9: always ask the person you photograph or film — or the guardian (vårdnadshavare) of a child
under the policy's age (15) — before publishing. R10: written consent is required for identifiable
persons in pictures that will be used in several contexts (the policy's `written_consent_for`).
The decision is *publish* or *stop*, and for *stop* what is missing, person by person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.policy import ConsentPolicy


class Use(StrEnum):
    """How the picture will be used (R10)."""

    ONE_POST = "one_post"
    SEVERAL_CONTEXTS = "several_contexts"


class ConsentForm(StrEnum):
    """The consent a person (or their guardian) has given."""

    NONE = "none"
    ORAL = "oral"
    WRITTEN = "written"


class Missing(StrEnum):
    """What stops a publication, for one person."""

    # Nobody has said yes (R9).
    CONSENT = "consent"
    # Nobody has said yes for a child under the age limit: the guardian must give it (R9).
    GUARDIAN_CONSENT = "guardian_consent"
    # A child under the age limit: the guardian is the one who answers (R9).
    GUARDIAN = "guardian"
    # The use needs written consent, and the consent is oral (R10).
    WRITTEN = "written"
    # Written consent without the signed form or where it is filed (R10).
    DOCUMENT = "document"
    # The consent in the register has been withdrawn and can no longer be used (R9).
    WITHDRAWN = "withdrawn"
    # More identifiable people than people with an answer.
    UNRECORDED = "unrecorded"


class Outcome(StrEnum):
    """The answer of a consent check."""

    PUBLISH = "publish"
    STOP = "stop"


@dataclass(frozen=True)
class Subject:
    """One identifiable person in the picture and the consent given for them."""

    form: ConsentForm
    minor: bool = False
    # For a minor: the guardian who gave the consent is named.
    guardian_named: bool = False
    # For written consent: the signed form is uploaded or its filing place given.
    document: bool = False
    # The consent comes from the register and has been withdrawn since.
    withdrawn: bool = False


@dataclass(frozen=True)
class ConsentAnswers:
    """What the editor answered before publishing."""

    identifiable: bool
    use: Use
    # How many identifiable people are in the picture (at least the subjects given).
    people: int
    subjects: tuple[Subject, ...] = ()


@dataclass(frozen=True)
class ConsentDecision:
    """Publish or stop; for stop, what is missing per subject (index) and overall."""

    outcome: Outcome
    missing: tuple[tuple[int, Missing], ...] = ()
    needs_written: bool = False
    unrecorded: int = 0


def needs_written_consent(use: Use, policy: ConsentPolicy) -> bool:
    """R10: uses in several contexts (and any the unit adds) need written consent."""
    return use.value in policy.written_consent_for


def missing_for(subject: Subject, needs_written: bool) -> tuple[Missing, ...]:
    """What one person's consent lacks (empty when it is enough)."""
    if subject.withdrawn:
        return (Missing.WITHDRAWN,)
    if subject.form is ConsentForm.NONE:
        # R9: for a child under the age limit it is the guardian who must give the consent.
        return (Missing.GUARDIAN_CONSENT if subject.minor else Missing.CONSENT,)
    found: list[Missing] = []
    if subject.minor and not subject.guardian_named:
        found.append(Missing.GUARDIAN)
    if needs_written and subject.form is not ConsentForm.WRITTEN:
        found.append(Missing.WRITTEN)
    if subject.form is ConsentForm.WRITTEN and not subject.document:
        found.append(Missing.DOCUMENT)
    return tuple(found)


def decide(answers: ConsentAnswers, policy: ConsentPolicy) -> ConsentDecision:
    """R9, R10: publish when nobody is identifiable or everybody's consent is enough."""
    if not answers.identifiable:
        return ConsentDecision(Outcome.PUBLISH)
    needs_written = needs_written_consent(answers.use, policy)
    missing = tuple(
        (index, item)
        for index, subject in enumerate(answers.subjects)
        for item in missing_for(subject, needs_written)
    )
    unrecorded = max(0, answers.people - len(answers.subjects))
    if not answers.subjects and unrecorded == 0:
        unrecorded = 1  # identifiable, yet nobody named: somebody's consent is missing
    outcome = Outcome.STOP if missing or unrecorded else Outcome.PUBLISH
    return ConsentDecision(outcome, missing, needs_written, unrecorded)
