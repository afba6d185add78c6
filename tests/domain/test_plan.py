"""R5: the plan's sections, in the template's order, and a view without the login."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.plan import TEXT_SECTIONS, PlanDocumentView, PlanSections

PLAN = PlanSections(
    goals="Fler besökare på fritidsgården.",
    target_groups="Unga 13–19 år och deras vårdnadshavare.",
    content_and_rhythm="Två inlägg i veckan.",
    comment_handling="Redaktörerna svarar vardagar inom ett dygn.",
    moderation_and_crisis="Kränkande kommentarer döljs och dokumenteras.",
    evaluation_date=date(2026, 9, 1),
)


def test_r5_text_sections_follow_the_template_order() -> None:
    plan = PLAN
    assert plan.text_sections() == (
        ("goals", plan.goals),
        ("target_groups", plan.target_groups),
        ("content_and_rhythm", plan.content_and_rhythm),
        ("comment_handling", plan.comment_handling),
        ("moderation_and_crisis", plan.moderation_and_crisis),
    )


def test_r5_every_section_but_the_date_is_a_text_section() -> None:
    names = {field.name for field in dataclasses.fields(PlanSections)}
    assert set(TEXT_SECTIONS) == names - {"evaluation_date"}


def test_the_plan_cannot_change_after_it_is_written() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLAN.goals = "Något annat."  # type: ignore[misc]


def test_r6_the_shared_plan_document_has_no_place_for_the_login() -> None:
    names = {field.name for field in dataclasses.fields(PlanDocumentView)}
    assert not {name for name in names if "login" in name or "password" in name}
