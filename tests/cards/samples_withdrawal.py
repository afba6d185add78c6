"""Sample cards of dialogs/withdrawal.py's flow (see tests/cards/samples.py)."""

from __future__ import annotations

from dataclasses import replace

from cards.consent import Option
from cards.withdrawal import (
    RemovalEscalationView,
    RemovalTaskView,
    WithdrawFormView,
    removal_escalation_card,
    removal_task_card,
    withdraw_form_card,
)
from tests.cards.samples import CardBuilder

_TASK = RemovalTaskView(
    task_id=42,
    channel="Fritidsgården Ugglan",
    subject="Elev 7B:3 " + "x" * 190,
    post_address="https://www.instagram.com/p/" + "C" * 260,
    withdrawn="3 mars 2026 10:00",
    records_plan_url="https://intranat.stad.example/dokumenthanteringsplan.xlsx",
)
_FORM = WithdrawFormView(
    consents=tuple(
        Option(str(i), f"Elev {i} {'x' * 150} (Fritidsgården Ugglan, 3 mars 2026, 2 inlägg)")
        for i in range(100)
    ),
    value="3",
    note="Vårdnadshavaren mejlade " + "y" * 470,
)

SAMPLES: list[tuple[str, CardBuilder]] = [
    ("withdraw_form", lambda texts: withdraw_form_card(_FORM, texts)),
    (
        "withdraw_form_error",
        lambda texts: withdraw_form_card(
            replace(_FORM, error=texts("withdrawal.choose"), notice=texts("withdrawal.choose")),
            texts,
        ),
    ),
    (
        "withdraw_done",
        lambda texts: withdraw_form_card(
            replace(_FORM, done=texts("withdrawal.done", subject="Elev 7B:3", count=3)), texts
        ),
    ),
    ("removal_task", lambda texts: removal_task_card(_TASK, texts)),
    (
        "removal_task_reminder_unknown_post",
        lambda texts: removal_task_card(
            replace(_TASK, post_address=None, reminder=texts("removal.reminder")), texts
        ),
    ),
    (
        "removal_task_captured",
        lambda texts: removal_task_card(
            replace(
                _TASK,
                captured="Skärmdump sparad: inlagg.png (Testperson Två, 3 mars 2026 10:00).",
                notice=texts("removal.capture_first"),
            ),
            texts,
        ),
    ),
    (
        "removal_task_done",
        lambda texts: removal_task_card(
            replace(_TASK, done="Borttaget av Testperson Fyra den 3 mars 2026 10:00."), texts
        ),
    ),
    (
        "removal_escalation",
        lambda texts: removal_escalation_card(
            RemovalEscalationView(
                channel="Fritidsgården Ugglan",
                post_address=None,
                days=9,
                editors=("Testperson Två", "Testperson Fyra"),
            ),
            texts,
        ),
    ),
]
