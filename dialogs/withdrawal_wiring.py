"""The verbs, the command and the sweep of withdrawing a consent (R9, R11)."""

from __future__ import annotations

from dataclasses import replace

from cards.verbs import Verb
from dialogs.capture_first import capture_first_verbs
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import RemovalTaskData, WithdrawalData
from dialogs.wiring import Flows, Wiring, acting
from dialogs.withdrawal import DIALOG_ID, FILES_ID, WithdrawalFlow


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    withdrawal = WithdrawalFlow(wiring.services)
    # R9, R11: the channel's editors and its manager remove what relied on the consent.
    task = Permit(
        may=Role.EDITOR | Role.MANAGER,
        sees=Role.EDITOR | Role.MANAGER,
        rules="R9, R11",
        summary="a step of a removal task",
    )
    withdraw = replace(
        task, may_new=Role.EMPLOYEE, summary="records a withdrawn consent; removal tasks follow"
    )
    return Flows(
        verbs={
            **wiring.verb(
                Verb.CONSENT_WITHDRAW, WithdrawalData, withdraw, acting(withdrawal.withdraw)
            ),
            **capture_first_verbs(
                wiring,
                withdrawal,
                (DIALOG_ID, FILES_ID),
                (Verb.REMOVAL_CAPTURE, Verb.REMOVAL_DONE),
                RemovalTaskData,
                task,
            ),
        },
        commands=wiring.command(
            "withdraw_consent",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R9", summary="the withdrawal form"),
            lambda _turn, actor: withdrawal.form(actor),
        ),
        sweeps={"removal_reminders": withdrawal.remind},
    )
