"""Sample cards of the answers to free-text questions (see tests/cards/samples.py)."""

from __future__ import annotations

from cards.answers import AnswerView, FlowButton, RuleAnswer, answer_card, no_answer_card
from tests.cards.samples import CardBuilder

_RULES = tuple(
    RuleAnswer(
        rule=rule,
        answer="Varje kanal ska ha minst 2 redaktörer som administrerar den. " * 4,
        quote=(
            "Varje kanal ska ha två redaktörer som administrerar den, men ni får gärna vara fler."
        ),
        template_title="mallen Plan för sociala medier",
        template_url="https://intranat.example.org/mallar/plan-for-sociala-medier.docx",
    )
    for rule in ("R3", "R5", "R12")
)
_BUTTONS = (
    FlowButton("Ny kanal", "ny kanal"),
    FlowButton("Ändra redaktörer", "redaktörer"),
    FlowButton("Mina kanaler", "mina kanaler"),
)

SAMPLES: list[tuple[str, CardBuilder]] = [
    ("answer", lambda texts: answer_card(AnswerView(rules=_RULES, buttons=_BUTTONS), texts)),
    (
        "answer_one_rule_without_link",
        lambda texts: answer_card(
            AnswerView(rules=(RuleAnswer("R9", "Be alltid om lov.", "Du ska alltid be…"),)), texts
        ),
    ),
    (
        "answer_wish",
        lambda texts: answer_card(
            AnswerView(rules=_RULES[:2], buttons=_BUTTONS[:1], wish="Vill du starta en ny kanal?"),
            texts,
        ),
    ),
    ("no_answer", no_answer_card),
]
