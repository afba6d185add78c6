"""The verb, the command and the sweep of the half-yearly documentation (R12)."""

from __future__ import annotations

from microsoft_agents.hosting.core import TurnContext

from cards.verbs import Verb
from dialogs.actor import Actor
from dialogs.documentation.dialog import DIALOG_ID, DocumentationDialog, start_options
from dialogs.documentation.reminders import DocumentationReminders
from dialogs.documentation.round import DocumentationRound
from dialogs.guard import Request
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import DocumentationData
from dialogs.wiring import Flows, Wiring, card_activity

MAX_CHANNEL_CARDS = 10  # `dokumentera` from someone who edits more shows the first ten


def build(wiring: Wiring) -> Flows:
    """*Dokumentera nu*, the `dokumentera` command and the reminder sweep (R12)."""
    documentation = DocumentationRound(wiring.services)
    reminders = DocumentationReminders(wiring.services)
    runner = wiring.runner
    runner.add(DIALOG_ID, DocumentationDialog(wiring.services))

    async def start(request: Request[DocumentationData]) -> str:
        """R12: "Dokumentera nu" begins the round in this chat; the card says it waits."""
        actor = request.actor
        channel, refusal = await documentation.may_document(
            actor.person.id, request.data, organisation=actor.scope
        )
        if channel is None:
            return actor.texts(refusal or "errors.not_allowed")
        options = start_options(actor.person.id, channel)
        request.then(lambda: runner.begin(request.turn_context, DIALOG_ID, options))
        return actor.texts("documentation.started")

    async def document(turn_context: TurnContext, actor: Actor) -> None:
        """R12: `dokumentera` begins the round of the person's one channel, or shows each
        channel's card with *Dokumentera nu* when they edit several."""
        texts = actor.texts
        channels = await documentation.to_document(actor.person.id, organisation=actor.scope)
        if not channels:
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
        # R12: the channel's accepted editors document it.
        verbs=wiring.verb(
            Verb.DOCUMENTATION_START,
            DocumentationData,
            Permit(may=Role.EDITOR, rules="R12", summary="begins the half-yearly round"),
            start,
        ),
        commands=wiring.command(
            "document",
            Permit(
                may=NOBODY,
                may_new=Role.EMPLOYEE,
                rules="R12",
                summary="begins the round of one's channel",
            ),
            document,
        ),
        sweeps={"documentation_reminders": reminders.remind},
    )
