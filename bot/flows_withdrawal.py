"""Withdrawal of consent (R9, R11): removal tasks that capture, then remove, each post."""

from __future__ import annotations

from bot.teams.card_actions import ActionContext, ActionResult
from bot.wiring import Flows, Wiring
from cards.verbs import Verb
from dialogs.dialog_runner import DialogRunner
from dialogs.services import FlowServices
from dialogs.withdrawal import DIALOG_ID, CaptureDialog, WithdrawalFlow


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    withdrawal = WithdrawalFlow(services)
    runner.add(DIALOG_ID, CaptureDialog(services))

    async def capture(ctx: ActionContext) -> ActionResult:
        """R11: the capture of the post begins in this chat; the card stays as it is."""
        actor = await wiring.actor_of(ctx)
        if actor is None:
            return ActionResult(message=ctx.texts("errors.not_allowed"))
        task_id, key = await withdrawal.may_capture(actor, dict(ctx.action.data))
        if task_id is not None:
            options = {"person_id": actor.person.id, "task_id": task_id}
            await runner.begin(ctx.turn_context, DIALOG_ID, options)
        return ActionResult(message=ctx.texts(key))

    return Flows(
        verbs={
            Verb.CONSENT_WITHDRAW: wiring.acting(withdrawal.withdraw),
            Verb.REMOVAL_CAPTURE: capture,
            Verb.REMOVAL_DONE: wiring.acting(withdrawal.done),
        },
        commands={
            "withdraw_consent": wiring.command(lambda _turn, actor: withdrawal.form(actor)),
        },
        sweeps={"removal_reminders": withdrawal.remind},
    )
