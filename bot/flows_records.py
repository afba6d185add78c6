"""Before deleting (R11) and closing a channel (R13)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.teams.card_actions import ActionContext, ActionResult, VerbHandler
from bot.wiring import Flows, Wiring
from cards.verbs import Verb
from dialogs.actor import Actor
from dialogs.dialog_runner import DialogRunner
from dialogs.records import (
    CAPTURE_DIALOG,
    CLOSING_DIALOG,
    ClosingFlow,
    DeletionFlow,
    RecordsFilesDialog,
)
from dialogs.services import FlowServices

MayCollect = Callable[[Actor, dict[str, Any]], Awaitable[tuple[int | None, str]]]


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    deletion = DeletionFlow(services)
    closing = ClosingFlow(services)
    runner.add(CAPTURE_DIALOG, RecordsFilesDialog(services, CAPTURE_DIALOG))
    runner.add(CLOSING_DIALOG, RecordsFilesDialog(services, CLOSING_DIALOG))

    def collecting(dialog: str, purpose: str, may: MayCollect) -> VerbHandler:
        """A button that starts taking files in this chat; the card stays as it is."""

        async def handler(ctx: ActionContext) -> ActionResult:
            actor = await wiring.actor_of(ctx)
            if actor is None:
                return ActionResult(message=ctx.texts("errors.not_allowed"))
            subject_id, key = await may(actor, dict(ctx.action.data))
            if subject_id is not None:
                options = {
                    "person_id": actor.person.id,
                    "subject_id": subject_id,
                    "purpose": purpose,
                }
                await runner.begin(ctx.turn_context, dialog, options)
            return ActionResult(message=ctx.texts(key))

        return handler

    return Flows(
        verbs={
            Verb.DELETION_CHECK: wiring.acting(deletion.check),
            Verb.DELETION_CAPTURE: collecting(CAPTURE_DIALOG, "capture", deletion.may_capture),
            Verb.DELETION_DONE: wiring.acting(deletion.done),
            Verb.CLOSING_START: wiring.acting(closing.start),
            Verb.CLOSING_EXPORT: collecting(CLOSING_DIALOG, "export", closing.may_collect),
            Verb.CLOSING_SCREENSHOTS: collecting(
                CLOSING_DIALOG, "screenshot", closing.may_collect
            ),
            Verb.CLOSING_SUBMIT: wiring.acting(closing.submit),
            Verb.CLOSING_CONFIRM: wiring.acting(closing.confirm),
            Verb.CLOSING_CANCEL: wiring.acting(closing.cancel),
        },
        commands={
            "delete": wiring.command(lambda _turn, actor: deletion.form(actor)),
            "close_channel": wiring.command(lambda _turn, actor: closing.pick(actor)),
        },
        sweeps={"closing_reminders": closing.remind},
    )
