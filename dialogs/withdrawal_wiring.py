"""The verbs, the command and the sweep of withdrawing a consent (R9, R11)."""

from __future__ import annotations

from cards.verbs import Verb
from dialogs.capture_first import CaptureFirstDialog, capture_verb
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import RemovalTaskData, WithdrawalData
from dialogs.wiring import Flows, Wiring, acting
from dialogs.withdrawal import DIALOG_ID, FILES_ID, WithdrawalFlow


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    withdrawal = WithdrawalFlow(wiring.services)
    wiring.runner.add(
        DIALOG_ID, CaptureFirstDialog(wiring.services, withdrawal, DIALOG_ID, FILES_ID)
    )
    # R9, R11: the channel's editors and its manager remove what relied on the consent.
    task = Permit(
        may=Role.EDITOR | Role.MANAGER,
        sees=Role.EDITOR | Role.MANAGER,
        rules="R9, R11",
        summary="a step of a removal task",
    )
    return Flows(
        verbs={
            **wiring.verb(
                Verb.CONSENT_WITHDRAW,
                WithdrawalData,
                Permit(
                    may=Role.EDITOR | Role.MANAGER,
                    may_new=Role.EMPLOYEE,
                    sees=Role.EDITOR | Role.MANAGER,
                    rules="R9, R11",
                    summary="records a withdrawn consent; removal tasks follow",
                ),
                acting(withdrawal.withdraw),
            ),
            **wiring.verb(
                Verb.REMOVAL_CAPTURE,
                RemovalTaskData,
                task,
                capture_verb(wiring, withdrawal, DIALOG_ID),
            ),
            **wiring.verb(Verb.REMOVAL_DONE, RemovalTaskData, task, acting(withdrawal.done)),
        },
        commands=wiring.command(
            "withdraw_consent",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R9", summary="the withdrawal form"),
            lambda _turn, actor: withdrawal.form(actor),
        ),
        sweeps={"removal_reminders": withdrawal.remind},
    )
