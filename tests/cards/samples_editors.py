"""Sample cards of dialogs/editor_changes.py's flow (see tests/cards/samples.py)."""

from __future__ import annotations

from dataclasses import replace

from cards.consent import Option
from cards.editor_changes import (
    EditorLine,
    EditorsView,
    ReplaceView,
    editors_card,
    editors_pick_card,
    replace_card,
)
from tests.cards.samples import CardBuilder

_VIEW = EditorsView(
    channel_id=7,
    channel="Fritidsgården Ugglan",
    editors=tuple(
        EditorLine(i, f"Testperson {i} med ett långt namn", status)
        for i, status in enumerate(["accepted", "nominated", "removed"] * 4)
    ),
    min_editors=2,
    address="https://www.instagram.com/" + "u" * 250,
    manager="Rektor Testsson",
)
_REPLACE = ReplaceView(
    channel_id=7,
    editor_id=3,
    channel="Fritidsgården Ugglan",
    editor="Testperson Två",
    reason="meddelanden kommer inte fram",
)

SAMPLES: list[tuple[str, CardBuilder]] = [
    (
        "editors_pick",
        lambda texts: editors_pick_card(
            tuple(Option(str(i), f"Kanal {i}") for i in range(20)), texts
        ),
    ),
    ("editors", lambda texts: editors_card(_VIEW, texts)),
    (
        "editors_refused_understaffed",
        lambda texts: editors_card(
            replace(
                _VIEW,
                understaffed=True,
                errors={
                    "replacement": texts("editor_changes.refused_below_minimum", minimum=2),
                    "address": texts("form.errors.not_an_https_address"),
                },
                notice=texts("editor_changes.refused_below_minimum", minimum=2),
            ),
            texts,
        ),
    ),
    (
        "editors_saved_nobody_removable",
        lambda texts: editors_card(
            replace(_VIEW, editors=(), done=texts("editor_changes.saved")), texts
        ),
    ),
    ("editor_replace", lambda texts: replace_card(_REPLACE, texts)),
    (
        "editor_replace_error",
        lambda texts: replace_card(
            replace(_REPLACE, error=texts("editor_changes.only_manager")), texts
        ),
    ),
    (
        "editor_replace_done",
        lambda texts: replace_card(
            replace(_REPLACE, done="Testperson Fem har fått en inbjudan att bli redaktör."), texts
        ),
    ),
]
