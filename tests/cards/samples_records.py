"""Sample cards of dialogs/records.py's flow (see tests/cards/samples.py)."""

from __future__ import annotations

from dataclasses import replace

from cards.consent import Option
from cards.records import (
    ClosingView,
    DeletionFormView,
    DeletionOutcomeView,
    closing_card,
    closing_pick_card,
    deletion_form_card,
    deletion_outcome_card,
)
from tests.cards.samples import CardBuilder

_CHANNELS = tuple(Option(str(i), f"Fritidsgården Ugglan {i}") for i in range(12))
_FORM = DeletionFormView(
    channels=_CHANNELS,
    channel_id="1",
    kind="comment",
    description="https://www.instagram.com/p/" + "S" * 270,
    covered="no",
    passing="yes",
    records_plan_url="https://intranat.stad.example/dokumenthanteringsplan.xlsx",
)
_OUTCOME = DeletionOutcomeView(
    decision_id=9,
    channel="Fritidsgården Ugglan",
    channel_id=1,
    kind="post",
    description="https://www.instagram.com/p/" + "S" * 270,
    outcome="capture_first",
    last_documented="17 september 2025",
)
_CLOSING = ClosingView(
    closing_id=3,
    channel="Fritidsgården Ugglan",
    platform="Instagram",
    address="https://www.instagram.com/ugglan",
    status="open",
    export="G:/Fritid/Ugglan/" + "e" * 280,
    screenshots=tuple(f"skarmdump-{i}.png" for i in range(30)),
    records_mailbox="registrator@stad.example",
)

SAMPLES: list[tuple[str, CardBuilder]] = [
    ("deletion_form", lambda texts: deletion_form_card(_FORM, texts)),
    (
        "deletion_form_errors",
        lambda texts: deletion_form_card(
            replace(
                _FORM,
                errors={
                    "kind": texts("deletion.choose"),
                    "description": texts("deletion.describe"),
                },
                notice=texts("deletion.fix_errors"),
            ),
            texts,
        ),
    ),
    ("deletion_capture_first", lambda texts: deletion_outcome_card(_OUTCOME, texts)),
    (
        "deletion_captured",
        lambda texts: deletion_outcome_card(
            replace(_OUTCOME, captured="Skärmdump sparad: a.png (Testperson Två, 3 mars 2026)."),
            texts,
        ),
    ),
    (
        "deletion_done",
        lambda texts: deletion_outcome_card(
            replace(_OUTCOME, captured="Skärmdump sparad.", done="Raderat 3 mars 2026 10:00."),
            texts,
        ),
    ),
    (
        "deletion_keep",
        lambda texts: deletion_outcome_card(replace(_OUTCOME, outcome="keep"), texts),
    ),
    (
        "deletion_delete",
        lambda texts: deletion_outcome_card(replace(_OUTCOME, outcome="delete"), texts),
    ),
    (
        "deletion_close_channel",
        lambda texts: deletion_outcome_card(replace(_OUTCOME, outcome="close_channel"), texts),
    ),
    ("closing_pick", lambda texts: closing_pick_card(_CHANNELS, texts)),
    ("closing_checklist", lambda texts: closing_card(_CLOSING, texts)),
    (
        "closing_checklist_empty_no_mailbox",
        lambda texts: closing_card(
            replace(_CLOSING, export=None, screenshots=(), records_mailbox=""), texts
        ),
    ),
    (
        "closing_for_manager",
        lambda texts: closing_card(
            replace(
                _CLOSING,
                status="submitted",
                submitted="Skickat till registratorn av Testperson Två den 3 mars 2026 10:00.",
                for_manager=True,
                notice=texts("closing.reminder"),
            ),
            texts,
        ),
    ),
    (
        "closing_done",
        lambda texts: closing_card(
            replace(_CLOSING, status="confirmed", done="Kanalen är avslutad."), texts
        ),
    ),
]
