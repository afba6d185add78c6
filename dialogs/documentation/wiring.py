"""The verb, the command and the sweep of the half-yearly documentation (R12)."""

from __future__ import annotations

from microsoft_agents.hosting.core import TurnContext

from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.documentation.dialog import DIALOG_ID, DocumentationDialog, start_options
from dialogs.documentation.reminders import DocumentationReminders
from dialogs.documentation.round import DocumentationRound
from dialogs.wiring import ActionContext, ActionResult, Flows, Wiring, card_activity

MAX_CHANNEL_CARDS = 10  # `dokumentera` from someone who edits more shows the first ten


def build(wiring: Wiring) -> Flows:
    """*Dokumentera nu*, the `dokumentera` command and the reminder sweep (R12)."""
    documentation = DocumentationRound(wiring.services)
    reminders = DocumentationReminders(wiring.services)
    runner = wiring.runner
    runner.add(DIALOG_ID, DocumentationDialog(wiring.services))

    async def start(ctx: ActionContext) -> ActionResult:
        """R12: "Dokumentera nu" begins the round in this chat; the card says it waits."""
        actor = await wiring.actor_of(ctx)
        if actor is None:
            return ActionResult(message=ctx.texts("errors.not_allowed"))
        channel, refusal = await documentation.may_document(
            actor.person.id, dict(ctx.action.data), organisation=actor.scope
        )
        if channel is None:
            return ActionResult(message=ctx.texts(refusal or "errors.not_allowed"))
        await runner.begin(ctx.turn_context, DIALOG_ID, start_options(actor.person.id, channel))
        return ActionResult(message=ctx.texts("documentation.started"))

    async def document(turn_context: TurnContext, person_id: int | None, texts: Texts) -> None:
        """R12: `dokumentera` begins the round of the person's one channel, or shows each
        channel's card with *Dokumentera nu* when they edit several."""
        actor = await wiring.person(person_id, texts)
        channels = (
            await documentation.to_document(actor.person.id, organisation=actor.scope)
            if actor is not None
            else []
        )
        if actor is None or not channels:
            await turn_context.send_activity(texts("documentation.nothing_to_document"))
        elif len(channels) == 1:
            await runner.begin(
                turn_context, DIALOG_ID, start_options(actor.person.id, channels[0])
            )
        else:
            await turn_context.send_activity(texts("documentation.which_channel"))
            for channel in channels[:MAX_CHANNEL_CARDS]:
                await turn_context.send_activity(
                    card_activity(documentation.reminder_card(channel, texts))
                )

    return Flows(
        verbs={Verb.DOCUMENTATION_START: start},
        commands={"document": document},
        sweeps={"documentation_reminders": reminders.remind},
    )
