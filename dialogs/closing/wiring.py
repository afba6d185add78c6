"""The verbs, the command and the sweep of closing a channel (R13)."""

from __future__ import annotations

from cards.verbs import Verb
from dialogs.closing.confirmation import ClosingConfirmation
from dialogs.closing.files_dialog import DIALOG_ID, ClosingFilesDialog
from dialogs.closing.steps import ClosingFlow
from dialogs.wiring import ActionContext, ActionResult, Flows, VerbHandler, Wiring


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    closing = ClosingFlow(wiring.services)
    confirmation = ClosingConfirmation(wiring.services)
    wiring.runner.add(DIALOG_ID, ClosingFilesDialog(wiring.services))

    def collecting(purpose: str) -> VerbHandler:
        """A button that starts taking files in this chat; the card stays as it is."""

        async def handler(ctx: ActionContext) -> ActionResult:
            actor = await wiring.actor_of(ctx)
            if actor is None:
                return ActionResult(message=ctx.texts("errors.not_allowed"))
            closing_id, key = await closing.may_collect(actor, dict(ctx.action.data))
            if closing_id is not None:
                options = {
                    "person_id": actor.person.id,
                    "subject_id": closing_id,
                    "purpose": purpose,
                }
                await wiring.runner.begin(ctx.turn_context, DIALOG_ID, options)
            return ActionResult(message=ctx.texts(key))

        return handler

    return Flows(
        verbs={
            Verb.CLOSING_START: wiring.acting(closing.start),
            Verb.CLOSING_EXPORT: collecting("export"),
            Verb.CLOSING_SCREENSHOTS: collecting("screenshot"),
            Verb.CLOSING_SUBMIT: wiring.acting(closing.submit),
            Verb.CLOSING_CONFIRM: wiring.acting(confirmation.confirm),
            Verb.CLOSING_CANCEL: wiring.acting(closing.cancel),
        },
        commands={"close_channel": wiring.command(lambda _turn, actor: closing.pick(actor))},
        sweeps={"closing_reminders": confirmation.remind},
    )
